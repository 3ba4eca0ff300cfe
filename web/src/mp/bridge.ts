// The mini program's only way out of its sandboxed frame: messages to the follower app that
// framed it (the app origin), which checks each call and makes it with the user's session.

export interface Boot {
  appid: string;
  version: string;
  name: string;
  /** The page to open and its query (already decoded, but `scene` stays URL-encoded). */
  path: string;
  query: Record<string, string>;
  scene: number;
  storage: Record<string, string>;
  lang: string;
  fileBase: string;
}

/** Set by the runtime: answers one automator command. */
let onAutomation: (msg: any) => Promise<any> = async (m) => ({ id: m.id, error: { message: 'the mini program is starting' } });
export function setAutomation(f: (msg: any) => Promise<any>) {
  onAutomation = f;
}

type Pending = { resolve: (v: any) => void; reject: (e: any) => void };
const pending = new Map<number, Pending>();
let next = 1;
let bootResolve: (b: Boot) => void;
export const booted = new Promise<Boot>((r) => {
  bootResolve = r;
});

window.addEventListener('message', (e: MessageEvent) => {
  // Only the frame's parent speaks to the runtime.
  if (e.source !== window.parent) return;
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  if (m.herald === 'mp-boot') bootResolve(m.boot as Boot);
  if (m.herald === 'mp-automation' && m.msg && typeof m.msg === 'object') {
    void onAutomation(m.msg).then((reply) => window.parent.postMessage({ herald: 'mp-automation-reply', msg: reply }, '*'));
  }
  if (m.herald === 'mp-result') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(m.error);
  }
});

/** Asks the app to do `method`; resolves with its answer, rejects with `{errMsg}`. */
export function call(method: string, args: unknown = {}): Promise<any> {
  const id = next++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // The frame's own origin is opaque; its parent is the app (the content origin's policy
    // allows only the app to frame this page).
    window.parent.postMessage({ herald: 'mp-call', id, method, args }, '*');
  });
}

export function announce() {
  window.parent.postMessage({ herald: 'mp-ready' }, '*');
}
