-- kb's language server in Neovim 0.7 to 0.10 (Debian 12 ships 0.7.2), which have no vim.lsp.config; from
-- 0.11 on use kb.lua. Diagnostics, completion after [[, hover, go to definition, references and rename in the
-- Markdown files of a knowledge base.
--
-- Put this file in ~/.config/nvim/plugin/ (or source it from init.vim with `luafile`). `kb` must be on PATH.
-- A Markdown file starts (or joins) the server of its KB, the nearest folder up holding kb.toml, the .kb index
-- or casestudies/; a file outside any KB starts nothing.

local clients = {} -- one server per KB: its root -> the client's id

-- The KB's root, walking up from the file's folder: 0.7 has neither vim.fs.find nor vim.lsp.start.
local function kb_root(file)
  local folder = vim.fn.fnamemodify(file, ':p:h')
  while true do
    for _, marker in ipairs({ 'kb.toml', '.kb', 'casestudies' }) do
      if vim.loop.fs_stat(folder .. '/' .. marker) then
        return folder
      end
    end
    local parent = vim.fn.fnamemodify(folder, ':h')
    if parent == folder then
      return nil
    end
    folder = parent
  end
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'markdown',
  group = vim.api.nvim_create_augroup('kb_lsp', { clear = true }),
  callback = function(args)
    local file = vim.api.nvim_buf_get_name(args.buf)
    local root = file ~= '' and kb_root(file) or nil
    if root == nil then
      return
    end
    local id = clients[root]
    -- A server that exited (or was stopped) is started again for the next file.
    if id == nil or vim.lsp.get_client_by_id(id) == nil then
      id = vim.lsp.start_client({ name = 'kb', cmd = { 'kb', 'lsp' }, root_dir = root })
      clients[root] = id
    end
    if id ~= nil then
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})
