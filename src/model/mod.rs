//! The data the stages hand each other: Kubernetes objects with their identity, the typed
//! workload views checks read, kustomization files, and the files load hands to render.

pub(crate) mod files;
pub mod kinds;
pub(crate) mod kustomization;
pub mod object;
pub mod values_set;
pub mod workload;
