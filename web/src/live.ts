// New messages, pushes and payments, as they happen: Server-Sent Events from whichever node
// the browser reached (every node watches the shared database).
import { ref } from 'vue';
import { mine, type UserOut } from './api';

export interface LiveEvent { kind: 'message' | 'push' | 'wallet'; appid?: string; name?: string; notify?: boolean }
type Listener = (e: LiveEvent) => void;

const listeners = new Set<Listener>();
export const announcement = ref('');
let source: EventSource | null = null;

export function connect(user: UserOut) {
  disconnect();
  source = new EventSource(mine(user, '/live'));
  for (const kind of ['message', 'push', 'wallet'] as const) {
    source.addEventListener(kind, (ev) => {
      const data = { kind, ...JSON.parse((ev as MessageEvent).data || '{}') } as LiveEvent;
      listeners.forEach((l) => l(data));
    });
  }
}

export function disconnect() {
  source?.close();
  source = null;
}

export function onLive(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
