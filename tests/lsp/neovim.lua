-- Neovim's built-in LSP client on `kubepatrol lsp`, run headless by tests/lsp.rs:
--   nvim --headless --clean -c 'luafile tests/lsp/neovim.lua'
-- with KUBEPATROL (the binary), KUBEPATROL_FILE (the manifest to open) and KUBEPATROL_RESULT
-- (where to write what the editor saw, as JSON); with KUBEPATROL_FIX set, the quick fix of the
-- finding at the range it gives (`line,start,end`, 0-based) is applied too. Works with Neovim 0.7
-- (Debian's) and later.

local result = { diagnostics = {}, after_fix = {}, lines = {}, errors = {} }

local function finish()
  local out = io.open(os.getenv("KUBEPATROL_RESULT"), "w")
  out:write(vim.fn.json_encode(result))
  out:close()
  vim.cmd("qa!")
end

local function seen(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(found, {
      code = lsp.code or d.code,
      source = d.source,
      severity = d.severity,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
    })
  end
  table.sort(found, function(a, b) return a.lnum < b.lnum end)
  return found
end

local ok, problem = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("KUBEPATROL_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = "kubepatrol",
    cmd = { os.getenv("KUBEPATROL"), "lsp" },
    root_dir = vim.fn.expand("%:p:h"),
  })
  vim.lsp.buf_attach_client(buf, id)
  if not vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 20) then
    table.insert(result.errors, "no diagnostics within 15 s")
    return
  end
  result.diagnostics = seen(buf)
  local fix = os.getenv("KUBEPATROL_FIX")
  if not fix then
    return
  end

  -- The quick fix of the finding at KUBEPATROL_FIX, applied as the editor applies it.
  local line, first, last = fix:match("(%d+),(%d+),(%d+)")
  local client = vim.lsp.get_client_by_id(id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = {
      start = { line = tonumber(line), character = tonumber(first) },
      ["end"] = { line = tonumber(line), character = tonumber(last) },
    },
    context = { diagnostics = {} },
  }
  local response = client.request_sync("textDocument/codeAction", params, 10000, buf)
  local action
  for _, candidate in ipairs(response and response.result or {}) do
    if candidate.title:find("^Fix privilegeEscalationAllowed") then
      action = candidate
    end
  end
  if not action then
    table.insert(result.errors, "no fix among the code actions")
    return
  end
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

  -- Neovim sends the edit as an incremental change; the server lints the buffer again.
  if not vim.wait(15000, function() return #vim.diagnostic.get(buf) == 1 end, 20) then
    table.insert(result.errors, "the fixed finding stayed")
  end
  result.after_fix = seen(buf)
end)
if not ok then
  table.insert(result.errors, tostring(problem))
end
finish()
