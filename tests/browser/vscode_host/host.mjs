// A page that shows a kernel's widgets the way VS Code's Jupyter extension does, for a test.
//
// VS Code renders ipywidgets 8 in a webview with the widget manager of the npm package
// @vscode/jupyter-ipywidgets8 (its dist/ipywidgets.js, loaded here unchanged). The webview
// gives that manager a @jupyterlab/services KernelConnection whose socket VS Code relays to
// the kernel; here the KernelConnection talks to a real Jupyter server directly. For each
// widget output the host asks the manager for the model, creates its view and attaches it to
// an output element, as VS Code's renderer does. What is not VS Code: the editor, the
// extension host's relay and the notebook UI around the outputs.
//
// index.html loads require.js (the manager resolves widget modules through it, as in VS
// Code), then ipywidgets.js, then this bundle, and calls start(); the test drives the page
// through window.marketsimHost.

import { ServerConnection } from '@jupyterlab/services';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';

const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';

/**
 * Connect to kernel `kernelId` of the Jupyter server this page is served under, build VS
 * Code's widget manager over it, and expose `window.marketsimHost`:
 * - `run(code)`: execute `code`; resolves to {text, errors, widgets} once the kernel is done
 *   (text: stdout and plain-text results; widgets: how many widget outputs were shown)
 * - `log`: what the manager logged, and widget classes it failed to load.
 */
export function start({ activate, kernelId, token, outputs }) {
  activate(); // the package's entry point: defines window.vscIPyWidgets8
  window.vscIPyWidgets8.load(); // registers the widget modules and window.vscIPyWidgets
  const settings = ServerConnection.makeSettings({
    baseUrl: `${location.origin}/`,
    wsUrl: `ws://${location.host}/`,
    token,
    appendToken: true, // the page does not come from the server, so no login cookie
  });
  const kernel = new KernelConnection({
    model: { id: kernelId, name: 'python3' },
    serverSettings: settings,
    handleComms: true,
  });
  const log = [];
  const scriptLoader = {
    widgetsRegisteredInRequireJs: new Set(),
    errorHandler: (className, moduleName, version, error) =>
      log.push(`failed to load ${moduleName}@${version} ${className}: ${error}`),
    loadWidgetScript: async () => {}, // only the built-in widget modules are needed
    successHandler: () => {},
  };
  const manager = new window.vscIPyWidgets.WidgetManager(
    kernel,
    outputs,
    scriptLoader,
    (message) => log.push(message),
  );

  async function show(data) {
    const element = document.createElement('div');
    element.className = 'output';
    outputs.appendChild(element);
    const model = await manager.get_model(data.model_id);
    const view = await manager.create_view(model, { el: element });
    await manager.display_view(data, view, { node: element });
  }

  function run(code) {
    const result = { text: '', errors: [], widgets: 0 };
    const shown = [];
    const future = kernel.requestExecute({ code, stop_on_error: true });
    future.onIOPub = (message) => {
      const content = message.content;
      const type = message.header.msg_type;
      if (type === 'stream') {
        result.text += content.text;
      } else if (type === 'error') {
        result.errors.push(`${content.ename}: ${content.evalue}`);
      } else if (type === 'display_data' || type === 'execute_result') {
        if (content.data[WIDGET_VIEW]) {
          result.widgets += 1;
          shown.push(show(content.data[WIDGET_VIEW]).catch((error) => result.errors.push(`${error}`)));
        } else if (content.data['text/plain']) {
          result.text += `${content.data['text/plain']}\n`;
        }
      }
    };
    return future.done.then(async () => {
      await Promise.all(shown);
      return result;
    });
  }

  window.marketsimHost = { run, log };
}
