"""The language server (`kb lsp`): diagnostics, completion, navigation, rename and code actions over LSP."""
