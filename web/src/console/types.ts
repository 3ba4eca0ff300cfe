// The platform API's shapes the console reads. Those of typed endpoints come from
// api-schema.d.ts, generated from docs/openapi.yaml, whose schemas are generated from the Rust
// types (crates/wire/src/platform): a change on the server fails the type check here.
import type { components } from '../api-schema';
type Schemas = components['schemas'];

export type ServerSettings = Schemas['ServerSettingsIo'];
export type Account = Schemas['AccountOut'] & { type: 'service' | 'subscription' | 'miniprogram' };
export type Overview = Schemas['OverviewOut'];
export type Follower = Schemas['FollowerOut'];
export type FollowerPage = Schemas['FollowerPage'];
export type ConsoleMe = Schemas['ConsoleMeOut'];
export type Session = Schemas['SessionOut'];
export interface MenuButton { type?: string; name: string; key?: string; url?: string; media_id?: string; article_id?: string; appid?: string; pagepath?: string; sub_button?: MenuButton[] }
export interface Attempt { attempt: number; url: string; status: number | null; error: string | null; at: number; latency_ms: number | null; request: string; response: string | null; request_plain: string | null; response_plain: string | null }
export interface Delivery { id: number; kind: string; state: string; attempts: Attempt[]; last_error: string | null; created_at: number }
