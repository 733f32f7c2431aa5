-- kb's language server in Neovim 0.11 and later: diagnostics, completion after [[, hover, go to definition,
-- references and rename in the Markdown files of a knowledge base. Neovim 0.7 to 0.10 (Debian 12 ships 0.7.2):
-- use kb-older.lua instead.
--
-- Put this file in ~/.config/nvim/plugin/ (or paste it into init.lua). `kb` must be on PATH.

vim.lsp.config('kb', {
  cmd = { 'kb', 'lsp' },
  filetypes = { 'markdown' },
  -- The KB's root: the nearest folder up holding kb.toml, the .kb index or casestudies/.
  root_markers = { 'kb.toml', '.kb', 'casestudies' },
  -- A Markdown file outside any KB starts nothing.
  workspace_required = true,
})
vim.lsp.enable('kb')
