-- Drives Neovim's built-in LSP client through a labeling session, as a user would, and reports each
-- step as a JSON file in $LOOPMARK_NVIM_REPORTS for test/lsp/neovim.test.ts. Runs after the setup of
-- docs/neovim.md. Every wait polls (vim.wait runs the event loop, so LSP messages arrive meanwhile).
local reports = assert(os.getenv('LOOPMARK_NVIM_REPORTS'), 'LOOPMARK_NVIM_REPORTS is not set')
local wait_ms = tonumber(os.getenv('LOOPMARK_NVIM_WAIT_MS') or '20000')

-- Written then renamed: the test never reads half a report.
local function report(name, value)
  local tmp = reports .. '/' .. name .. '.tmp'
  vim.fn.writefile({ vim.fn.json_encode(value) }, tmp)
  assert(vim.loop.fs_rename(tmp, reports .. '/' .. name))
end

local function wait_for(what, check)
  if not vim.wait(wait_ms, check, 50) then error('timed out after ' .. wait_ms .. ' ms waiting for ' .. what, 0) end
end

local function sample_id(d)
  local lsp = d.user_data and d.user_data.lsp
  return lsp and lsp.data and lsp.data.sampleId
end

local function reviews()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.code == 'review' then table.insert(found, d) end
  end
  return found
end

local function has_review(id)
  for _, d in ipairs(reviews()) do
    if sample_id(d) == id then return true end
  end
  return false
end

local function session()
  local started = vim.loop.now()
  wait_for('the loopmark client to attach', function()
    for _, client in pairs(vim.lsp.buf_get_clients(0)) do
      if client.name == 'loopmark' and client.initialized then return true end
    end
    return false
  end)
  wait_for('published diagnostics', function() return #reviews() > 0 end)
  local published = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(published, { lnum = d.lnum, col = d.col, code = d.code, source = d.source, message = d.message, sampleId = sample_id(d) or vim.NIL })
  end
  report('diagnostics.json', { diagnostics = published, ms = vim.loop.now() - started })

  -- The user's path: cursor on the sample, vim.lsp.buf.code_action(), pick the first quick fix (Accept).
  local first = reviews()[1]
  local accepted = sample_id(first)
  vim.api.nvim_win_set_cursor(0, { first.lnum + 1, first.col })
  local offered
  vim.ui.select = function(items, opts, on_choice)
    offered = {}
    -- format_item returns gsub's two values: keep the title only.
    for _, item in ipairs(items) do
      local title = (opts.format_item or tostring)(item)
      table.insert(offered, title)
    end
    on_choice(items[1], 1)
  end
  vim.lsp.buf.code_action()
  wait_for('the code action menu', function() return offered ~= nil end)
  wait_for('the diagnostic of the accepted sample ' .. accepted .. ' to go', function() return not has_review(accepted) end)
  report('accepted.json', { sampleId = accepted, offered = offered })

  -- The test writes a label with the CLI and names the sample here; Neovim sends no watched-file
  -- events, so only the server's own watcher can make its diagnostic go.
  local labeled
  wait_for('the test to label a sample with the CLI', function()
    local file = reports .. '/cli-labeled.json'
    if vim.loop.fs_stat(file) == nil then return false end
    labeled = vim.fn.json_decode(vim.fn.readfile(file)).sampleId
    return true
  end)
  local cli_started = vim.loop.now()
  wait_for('the diagnostic of ' .. labeled .. ', labeled by the CLI, to go', function() return not has_review(labeled) end)
  local cli_ms = vim.loop.now() - cli_started

  local hover = vim.lsp.buf_request_sync(0, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = first.lnum, character = 0 },
  }, wait_ms)
  local hover_text = vim.NIL
  for _, response in pairs(hover or {}) do
    if response.result then hover_text = response.result.contents.value or vim.NIL end
  end
  local remaining = #reviews()

  -- An edit in the buffer (Neovim 0.7 sends it incrementally): breaking line 1's JSON shows at once.
  vim.api.nvim_buf_set_text(0, 0, 0, 0, 1, { '' })
  wait_for('an invalid-json diagnostic on the edited line', function()
    for _, d in ipairs(vim.diagnostic.get(0)) do
      if d.code == 'invalid-json' and d.lnum == 0 then return true end
    end
    return false
  end)
  report('final.json', { sampleId = labeled, ms = cli_ms, reviews = remaining, hover = hover_text, edited = true, messages = vim.fn.execute('messages') })
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(function()
      local ok, err = pcall(session)
      if not ok then
        report('failure.json', { message = tostring(err), messages = vim.fn.execute('messages') })
        vim.cmd('cquit 1')
      end
      vim.cmd('qall!')
    end)
  end,
})
