-- kb's language server in Neovim 0.8 to 0.10 (0.11 and later: kb.lua; 0.7: kb-0.7.lua).
--
-- Put this file in ~/.config/nvim/plugin/ (or paste it into init.lua). `kb` must be on PATH.
-- A Markdown file starts (or joins) the server of its KB; a file outside any KB starts nothing.

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'markdown',
  group = vim.api.nvim_create_augroup('kb_lsp', { clear = true }),
  callback = function(args)
    local file = vim.api.nvim_buf_get_name(args.buf)
    if file == '' then
      return
    end
    -- The KB's root: the nearest folder up holding kb.toml, the .kb index or casestudies/.
    local marker = vim.fs.find({ 'kb.toml', '.kb', 'casestudies' }, { upward = true, path = vim.fs.dirname(file) })[1]
    if marker == nil then
      return
    end
    vim.lsp.start({ name = 'kb', cmd = { 'kb', 'lsp' }, root_dir = vim.fs.dirname(marker) }, { bufnr = args.buf })
  end,
})
