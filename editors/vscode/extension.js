// kb's language server in VS Code: starts `kb lsp` over stdio for the Markdown files of the workspace's KB.
// Plain JavaScript (no build step). VS Code wakes it when a Markdown file opens; it starts the server only
// in a KB: a workspace folder holding kb.toml or casestudies/.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

/** Start the language server for the workspace's KB, if the workspace is one. */
async function activate(context) {
  // A Markdown file outside a KB starts nothing (the pattern is matched at each workspace folder's top).
  const markers = await vscode.workspace.findFiles('{kb.toml,casestudies/*.md}', null, 1);
  if (markers.length === 0) {
    return;
  }
  const command = vscode.workspace.getConfiguration('kb').get('command', 'kb');
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  const options = {
    documentSelector: [{ scheme: 'file', language: 'markdown' }],
    synchronize: {
      // kb judges links, duplicate slugs and the hell-yes rule across files: tell it when any record changes on disk.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.md'),
    },
  };
  client = new LanguageClient('kb', 'kb', server, options);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('kb.command')) {
        vscode.window.showInformationMessage('kb: reload the window to start the new kb.command.');
      }
    }),
  );
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `kb: could not start \`${command} lsp\` (${error.message || error}). Set kb.command to the kb command's path.`,
    );
  }
}

/** Stop the language server with the window. */
function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
