-- End-to-end test of fabula-lsp in headless Neovim, with Neovim's builtin LSP client.
-- run.sh prepares the workspace and starts this script:
--
--   nvim --headless --clean -c 'luafile editors/neovim/e2e/test.lua'
--
-- Input, from the environment (all set by run.sh):
--   FABULA_NVIM_LSP          the fabula-lsp binary
--   FABULA_NVIM_WORKSPACE    the project root (the folder with fabula.yaml), a real path
--   FABULA_NVIM_BROKEN       the broken task, relative to the root
--   FABULA_NVIM_EXPECT       its expected diagnostics, `code=text;code=text`: each `text`
--                            occurs once in the file and is exactly what is underlined
--   FABULA_NVIM_FIX          `text=replacement`: an edit (in the buffer, not on disk)
--                            that removes the diagnostic on `text`
--   FABULA_NVIM_SCORED       the task with results, relative to the root
--   FABULA_NVIM_LEADERBOARD  `fabula leaderboard --format json` of those results
--   FABULA_NVIM_RESULT       the report: PASS/FAIL/NOTE/INFO lines, appended as it goes
--   FABULA_NVIM_STEP_MS      how long one step may wait for the server (default 30000)
--
-- Neovim 0.7 (Debian bookworm) has no vim.lsp.start: then the client is started with
-- vim.lsp.start_client and attached with vim.lsp.buf_attach_client. Every wait is a
-- vim.wait with a timeout. Neovim exits 0 when every check passed, else 1 (cquit); a
-- Lua error is a failed check, never a hang.

local uv = vim.loop

local report = assert(io.open(assert(os.getenv('FABULA_NVIM_RESULT'), 'FABULA_NVIM_RESULT is not set'), 'a'))
local function out(s)
  report:write(s, '\n')
  report:flush()
end

local passed, failed = 0, 0
local function pass(name, detail)
  passed = passed + 1
  out('PASS ' .. name .. (detail and (': ' .. detail) or ''))
end
local function fail(name, why)
  failed = failed + 1
  out('FAIL ' .. name .. ': ' .. tostring(why):gsub('\n', '\n     '))
end
local function note(s)
  out('NOTE ' .. s)
end

--- Runs one check: `fn` returns a detail for PASS or raises the reason for FAIL.
local function check(name, fn)
  local ok, res = xpcall(fn, function(e)
    -- error(msg, 0) is a plain check failure; anything else gets its traceback.
    if type(e) == 'table' and e.check then
      return e.msg
    end
    return debug.traceback(tostring(e), 2)
  end)
  if ok then
    pass(name, res)
  else
    fail(name, res)
  end
  return ok
end
local function expect(cond, msg)
  if not cond then
    error({ check = true, msg = msg }, 0)
  end
end

local function env(name)
  local v = os.getenv(name)
  expect(v and v ~= '', 'the environment variable ' .. name .. ' is not set')
  return v
end

local STEP_MS = tonumber(os.getenv('FABULA_NVIM_STEP_MS') or '') or 30000

--- Polls `cond` until it returns a truthy value or `ms` pass; returns that value or nil.
local function wait_for(ms, cond)
  local value
  vim.wait(ms, function()
    value = cond()
    return value and true or false
  end, 50)
  return value
end

--- The LSP character index of byte offset `byte` (0-based) in `s` in `encoding` (utf-8:
--- bytes, utf-16: code units, utf-32: code points). Written out so that it means the
--- same in every Neovim.
local function lsp_index(s, byte, encoding)
  if encoding == 'utf-8' then
    return byte
  end
  local units, i = 0, 1
  while i <= byte do
    local b = s:byte(i)
    local len = (b < 0x80 and 1) or (b < 0xE0 and 2) or (b < 0xF0 and 3) or 4
    units = units + ((len == 4 and encoding == 'utf-16') and 2 or 1)
    i = i + len
  end
  return units
end

--- Line (0-based), byte column (0-based) and line text of the one occurrence of `text`.
local function locate(bufnr, text)
  local found
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local from = 1
    while true do
      local s = line:find(text, from, true)
      if not s then
        break
      end
      expect(found == nil, '`' .. text .. '` occurs more than once in ' .. vim.api.nvim_buf_get_name(bufnr))
      found = { lnum = lnum - 1, col = s - 1, line = line }
      from = s + 1
    end
  end
  expect(found, '`' .. text .. '` is not in ' .. vim.api.nvim_buf_get_name(bufnr))
  return found
end

local function read_file(path)
  local f = assert(io.open(path, 'rb'))
  local s = f:read('*a')
  f:close()
  return s
end

-- ------------------------------------------------------------------ the client
local LSP, ROOT
local ENCODING = 'utf-16' -- the negotiated position encoding
local raw_diagnostics = {} -- uri -> the last publishDiagnostics params, as sent
local clients = {} -- name -> { id, init_result, exit = { code, signal } }

local function config(name)
  local state = clients[name] or {}
  clients[name] = state
  return {
    name = name,
    cmd = { LSP },
    root_dir = ROOT,
    on_init = function(_, result)
      state.init_result = result
    end,
    on_exit = function(code, signal)
      state.exit = { code = code, signal = signal }
    end,
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, cfg)
        if result and result.uri then
          raw_diagnostics[result.uri] = result
        end
        return vim.lsp.handlers['textDocument/publishDiagnostics'](err, result, ctx, cfg)
      end,
    },
  }
end

local function children()
  local set = {}
  for _, pid in ipairs(vim.api.nvim_get_proc_children(vim.fn.getpid())) do
    set[pid] = true
  end
  return set
end

--- Starts a client for the current buffer (or attaches the running one to it).
local function start(name)
  local bufnr = vim.api.nvim_get_current_buf()
  local before = children()
  local id
  if vim.lsp.start then
    id = vim.lsp.start(config(name))
  else
    id = vim.lsp.start_client(config(name))
    expect(id, 'vim.lsp.start_client did not start ' .. LSP)
    expect(vim.lsp.buf_attach_client(bufnr, id), 'vim.lsp.buf_attach_client failed')
  end
  expect(id, 'the client did not start (cmd ' .. LSP .. ')')
  clients[name].id = id
  -- The server's pid: client.rpc.pid where Neovim has it (0.7), else nvim's one new child.
  local client = vim.lsp.get_client_by_id(id)
  local pid = client and client.rpc and client.rpc.pid
  if not pid then
    for child in pairs(children()) do
      if not before[child] then
        expect(pid == nil, 'more than one new child process of nvim')
        pid = child
      end
    end
  end
  clients[name].pid = pid
  return id
end

local function attach(name, bufnr)
  local id = clients[name].id
  if vim.lsp.start then
    -- Same name and root: Neovim reuses the running client.
    local again = vim.lsp.start(config(name))
    expect(again == id, 'vim.lsp.start did not reuse the running client')
  else
    expect(vim.lsp.buf_attach_client(bufnr, id), 'vim.lsp.buf_attach_client failed')
  end
end

local function wait_initialized(name)
  local state = clients[name]
  local ok = wait_for(STEP_MS, function()
    return state.init_result ~= nil or state.exit ~= nil
  end)
  expect(ok and state.init_result, state.exit
      and string.format('the server exited during initialize (code %s, signal %s)', state.exit.code, state.exit.signal)
    or string.format('no initialize result within %d ms', STEP_MS))
end

local function open(relative)
  vim.cmd('edit ' .. vim.fn.fnameescape(ROOT .. '/' .. relative))
  return vim.api.nvim_get_current_buf()
end

-- ------------------------------------------------------------------ the checks
local function main()
  LSP = env('FABULA_NVIM_LSP')
  ROOT = env('FABULA_NVIM_WORKSPACE')
  local broken_rel = env('FABULA_NVIM_BROKEN')
  local scored_rel = env('FABULA_NVIM_SCORED')
  local expected = {}
  for code, text in env('FABULA_NVIM_EXPECT'):gmatch('([^=;]+)=([^;]+)') do
    table.insert(expected, { code = code, text = text })
  end
  expect(#expected > 0, 'FABULA_NVIM_EXPECT names no diagnostic')
  local fix_text, fix_with = env('FABULA_NVIM_FIX'):match('^([^=]+)=(.+)$')
  expect(fix_text, 'FABULA_NVIM_FIX is not text=replacement')
  local board = vim.json.decode(read_file(env('FABULA_NVIM_LEADERBOARD')))
  expect(type(board.rows) == 'table' and #board.rows > 0, 'the leaderboard has no rows')

  local v = vim.version()
  out(string.format('INFO nvim %d.%d.%d, client started with %s', v.major, v.minor, v.patch,
    vim.lsp.start and 'vim.lsp.start' or 'vim.lsp.start_client + vim.lsp.buf_attach_client'))
  -- vim.lsp.log.set_level/get_filename since 0.9; the older names warn from 0.11.
  local lsp_log = vim.lsp.log and vim.lsp.log.set_level and vim.lsp.log or nil
  if lsp_log then
    lsp_log.set_level('debug')
  else
    vim.lsp.set_log_level('debug')
  end
  out('INFO lsp log: ' .. (lsp_log and lsp_log.get_filename() or vim.lsp.get_log_path()))

  -- -------------------------------------------------------------- start, open broken
  local broken = open(broken_rel)
  local broken_uri = vim.uri_from_bufnr(broken)
  local ok = check('start: the server initializes and attaches to the broken task', function()
    local id = start('fabula')
    wait_initialized('fabula')
    local caps = clients.fabula.init_result.capabilities or {}
    expect(caps.hoverProvider, 'the server does not offer hover')
    -- Neovim 0.7 offers no encodings, so UTF-16; later ones offer utf-8 first.
    local announced = caps.positionEncoding or clients.fabula.init_result.offsetEncoding or 'utf-16'
    local client = vim.lsp.get_client_by_id(id)
    expect(client.offset_encoding == announced, string.format('Neovim uses %s, the server announced %s',
      tostring(client.offset_encoding), tostring(announced)))
    ENCODING = announced
    out('INFO server pid ' .. tostring(clients.fabula.pid) .. ', position encoding ' .. announced)
    return 'client ' .. id .. ', attached to ' .. broken_rel
  end)
  if not ok then
    return
  end

  -- -------------------------------------------------------------- (a) diagnostics
  --- The diagnostics on `bufnr` checked against `want` ({ code, text } each, positions
  --- from the buffer): nil when they match exactly, else why not.
  local function mismatch(bufnr, uri, want)
    local got = vim.diagnostic.get(bufnr)
    local raw = raw_diagnostics[uri] and raw_diagnostics[uri].diagnostics or {}
    if #got ~= #want then
      local codes = {}
      for _, d in ipairs(got) do
        table.insert(codes, string.format('%s@%d:%d', tostring(d.code), d.lnum + 1, d.col + 1))
      end
      return string.format('%d diagnostics (%s), expected %d', #got, table.concat(codes, ', '), #want)
    end
    for _, w in ipairs(want) do
      local at = locate(bufnr, w.text)
      local hit
      for _, d in ipairs(got) do
        if d.code == w.code and d.lnum == at.lnum then
          hit = d
        end
      end
      if not hit then
        local there = {}
        for _, d in ipairs(got) do
          table.insert(there, string.format('%s at %d:%d', tostring(d.code), d.lnum + 1, d.col + 1))
        end
        return string.format('no %s diagnostic on line %d (`%s`); there are: %s', w.code, at.lnum + 1, w.text,
          table.concat(there, ', '))
      end
      if hit.col ~= at.col or hit.end_lnum ~= at.lnum or hit.end_col ~= at.col + #w.text then
        return string.format('%s on line %d spans bytes %d..%d:%d, expected %d..%d (`%s`)', w.code, at.lnum + 1,
          hit.col, hit.end_lnum + 1, hit.end_col, at.col, at.col + #w.text, w.text)
      end
      if hit.source ~= 'fabula' or hit.severity ~= vim.diagnostic.severity.ERROR then
        return string.format('%s: source %s, severity %s; expected fabula, ERROR', w.code, tostring(hit.source),
          tostring(hit.severity))
      end
      if not hit.message:find(w.text, 1, true) then
        return string.format('%s: the message does not name `%s`: %s', w.code, w.text, hit.message)
      end
      -- What the server sent, in the negotiated encoding.
      local want_start = lsp_index(at.line, at.col, ENCODING)
      local want_end = lsp_index(at.line, at.col + #w.text, ENCODING)
      local raw_hit
      for _, r in ipairs(raw) do
        if r.code == w.code and r.range.start.line == at.lnum then
          raw_hit = r
        end
      end
      if not raw_hit then
        return 'no raw publishDiagnostics entry for ' .. w.code
      end
      if raw_hit.range.start.character ~= want_start or raw_hit.range['end'].character ~= want_end then
        return string.format('%s: the server sent characters %d..%d, in %s they are %d..%d (line %d: %s)', w.code,
          raw_hit.range.start.character, raw_hit.range['end'].character, ENCODING, want_start, want_end,
          at.lnum + 1, at.line)
      end
    end
  end

  local function describe(want)
    local parts = {}
    for _, w in ipairs(want) do
      local ok_at, at = pcall(locate, broken, w.text)
      table.insert(parts, string.format('%s at %s', w.code,
        ok_at and string.format('%d:%d', at.lnum + 1, at.col + 1) or '?'))
    end
    return table.concat(parts, ', ')
  end

  check('diagnostics: the broken task gets exactly the expected codes, lines and columns', function()
    local why = 'nothing published'
    local done = wait_for(STEP_MS, function()
      why = mismatch(broken, broken_uri, expected)
      return why == nil
    end)
    expect(done, string.format('after %d ms: %s', STEP_MS, tostring(why)))
    local raw = raw_diagnostics[broken_uri]
    return describe(expected) .. ' (line:byte column' .. (raw and raw.version and (', version ' .. raw.version) or '') .. ')'
  end)

  check('diagnostics: an edit in the buffer (on a line with multi-byte text) clears its diagnostic', function()
    local at = locate(broken, fix_text)
    vim.api.nvim_buf_set_text(broken, at.lnum, at.col, at.lnum, at.col + #fix_text, { fix_with })
    local left = {}
    for _, w in ipairs(expected) do
      if w.text ~= fix_text then
        table.insert(left, w)
      end
    end
    local why
    local done = wait_for(STEP_MS, function()
      why = mismatch(broken, broken_uri, left)
      return why == nil
    end)
    expect(done, string.format('after %d ms: %s', STEP_MS, tostring(why)))
    local raw = raw_diagnostics[broken_uri]
    expect(raw and raw.version == vim.lsp.util.buf_versions[broken],
      string.format('published for version %s, the buffer is at %s', raw and tostring(raw.version) or 'nil',
        tostring(vim.lsp.util.buf_versions[broken])))
    return string.format('`%s` -> `%s`; left: %s (line:byte column, version %d)', fix_text, fix_with, describe(left),
      raw.version)
  end)

  -- -------------------------------------------------------------- (b) hover
  local scored = open(scored_rel)
  local id_line
  check('hover: on the scored task id, the markdown shows each model and its latest score', function()
    attach('fabula', scored)
    local lines = vim.api.nvim_buf_get_lines(scored, 0, -1, false)
    local task
    for lnum, line in ipairs(lines) do
      local s, value = line:match('^id:%s*()(%S+)')
      if s then
        id_line, task = { lnum = lnum - 1, col = s - 1 }, value
        break
      end
    end
    expect(id_line, 'no `id:` line in ' .. scored_rel)
    vim.api.nvim_win_set_cursor(0, { id_line.lnum + 1, id_line.col + 2 })
    local client = vim.lsp.get_client_by_id(clients.fabula.id)
    local params = vim.lsp.util.make_position_params(0, client.offset_encoding)

    local function has_every_model(text)
      for _, row in ipairs(board.rows) do
        if not text:find(row.model, 1, true) then
          return false
        end
      end
      return true
    end
    -- Hover on the id once the server answers with scores. Only a hover sent before the
    -- server has read results/ may lack them; that is noted, not hidden.
    local text, attempts, first = nil, 0, nil
    local deadline = uv.now() + STEP_MS
    while uv.now() < deadline do
      attempts = attempts + 1
      local responses, err = vim.lsp.buf_request_sync(scored, 'textDocument/hover', params,
        math.max(1, deadline - uv.now()))
      expect(responses, 'textDocument/hover: ' .. tostring(err))
      local response = responses[clients.fabula.id]
      expect(response, 'no hover response from the client')
      expect(not response.err, 'textDocument/hover error: ' .. vim.inspect(response.err))
      local result = response.result
      expect(result and result.contents, 'textDocument/hover returned nothing at ' .. (id_line.lnum + 1) .. ':' ..
        (id_line.col + 3))
      expect(type(result.contents) == 'table' and result.contents.kind == 'markdown',
        'the hover is not MarkupContent markdown: ' .. vim.inspect(result.contents))
      text = result.contents.value
      first = first or text
      if has_every_model(text) then
        break
      end
      vim.wait(250)
    end
    if attempts > 1 then
      note(string.format('hover: the first answer had no scores (%s); scores came on attempt %d',
        (first:gsub('\n+', ' '):sub(1, 120)), attempts))
    end
    expect(text:find(task, 1, true), 'the hover does not name the task `' .. task .. '`:\n' .. text)
    local seen = {}
    for _, row in ipairs(board.rows) do
      local want = row.score.score
      local model_line
      for l in text:gmatch('[^\n]+') do
        if l:find(row.model, 1, true) then
          model_line = l
          break
        end
      end
      expect(model_line, string.format('no line for %s within %d ms; the hover:\n%s', row.model, STEP_MS, text))
      local shown
      for n in model_line:gmatch('%d+%.%d') do
        if math.abs(tonumber(n) - want) <= 0.05 + 1e-9 then
          shown = n
          break
        end
      end
      expect(shown, string.format('%s: no score %.1f (leaderboard %.4f) in: %s', row.model, want, row.score.score,
        model_line))
      row.shown = shown
      table.insert(seen, row.model .. ' ' .. shown)
    end
    return table.concat(seen, ', ') .. ' (as `fabula leaderboard`)'
  end)

  check('hover: vim.lsp.buf.hover() opens a float with the scores', function()
    expect(id_line and board.rows[1].shown, 'not run: the previous hover check found no scores')
    vim.api.nvim_win_set_cursor(0, { id_line.lnum + 1, id_line.col + 2 })
    local before = {}
    for _, w in ipairs(vim.api.nvim_list_wins()) do
      before[w] = true
    end
    vim.lsp.buf.hover()
    local float_text
    local win = wait_for(STEP_MS, function()
      for _, w in ipairs(vim.api.nvim_list_wins()) do
        if not before[w] and vim.api.nvim_win_get_config(w).relative ~= '' then
          float_text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(w), 0, -1, false), '\n')
          return w
        end
      end
    end)
    expect(win, string.format('no floating window within %d ms', STEP_MS))
    vim.api.nvim_win_close(win, true)
    for _, row in ipairs(board.rows) do
      expect(float_text:find(row.model, 1, true) and row.shown and float_text:find(row.shown, 1, true),
        string.format('the float lacks %s %s:\n%s', row.model, tostring(row.shown), float_text))
    end
    return #vim.split(float_text, '\n') .. ' lines in the float'
  end)

  -- The client config above sends no init_options, like a setup that did not opt in:
  -- the server must refuse runs (they spend money) and say why.
  check('trust: without init_options.trusted, a run is refused with the reason', function()
    local client = vim.lsp.get_client_by_id(clients.fabula.id)
    local task = scored_rel:match('([^/]+)%.yaml$')
    local params = { command = 'fabula.server.run', arguments = { { task = task, model = board.rows[1].model } } }
    local done, err, result
    client.request('workspace/executeCommand', params, function(e, r)
      done, err, result = true, e, r
    end, vim.api.nvim_get_current_buf())
    expect(wait_for(STEP_MS, function()
      return done
    end), string.format('no answer to the run within %d ms', STEP_MS))
    expect(err and err.message and err.message:find('not trusted', 1, true),
      'the run was not refused: ' .. vim.inspect(err or result))
    return err.message
  end)

  -- -------------------------------------------------------------- (c) shutdown
  check('shutdown: stopping the client ends the server with exit code 0', function()
    local state = clients.fabula
    local pid = state.pid
    vim.lsp.stop_client(state.id)
    local exited = wait_for(STEP_MS, function()
      return state.exit
    end)
    expect(exited, string.format('the server did not exit within %d ms of shutdown + exit', STEP_MS))
    expect(exited.code == 0 and exited.signal == 0,
      string.format('the server exited with code %s, signal %s', exited.code, exited.signal))
    if pid then
      expect(uv.kill(pid, 0) ~= 0, 'process ' .. pid .. ' is still there')
    end
    return 'code 0, signal 0' .. (pid and (', pid ' .. pid .. ' gone') or '')
  end)

  -- Left running on purpose: run.sh checks that quitting Neovim ends it.
  check('quit: a second server is running when Neovim quits', function()
    local id = start('fabula-quit')
    wait_initialized('fabula-quit')
    local pid = clients['fabula-quit'].pid
    if pid then
      out('QUIT_PID ' .. pid)
    end
    return 'client ' .. id .. (pid and (', pid ' .. pid) or '')
  end)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  fail('lua', type(err) == 'table' and err.msg or err)
end
out(string.format('lua: %d passed, %d failed', passed, failed))
report:close()
if failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qall!')
end
