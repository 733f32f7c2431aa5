-- kb's language server in Neovim 0.11 and later: diagnostics, completion after [[, hover, go to definition,
-- references and rename in the Markdown files of a knowledge base.
--
-- Put this file in ~/.config/nvim/plugin/ (or paste it into init.lua). `kb` must be on PATH.
-- Neovim 0.8 to 0.10: use kb-0.8.lua; Neovim 0.7: use kb-0.7.lua.

vim.lsp.config('kb', {
  cmd = { 'kb', 'lsp' },
  filetypes = { 'markdown' },
  -- The KB's root: the folder holding kb.toml, the .kb index or casestudies/.
  root_markers = { 'kb.toml', '.kb', 'casestudies' },
})
vim.lsp.enable('kb')
