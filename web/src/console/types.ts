// The platform API's shapes the console reads. Those of typed endpoints come from
// api-schema.d.ts, generated from docs/openapi.yaml, whose schemas are generated from the Rust
// types (crates/wire/src/platform): a change on the server fails the type check here.
import type { Schemas } from '../api';

export type ServerSettings = Schemas['ServerSettingsIo'];
export type Account = Schemas['AccountOut'] & { type: 'service' | 'subscription' | 'miniprogram' };
export type Overview = Schemas['OverviewOut'];
export type Follower = Schemas['FollowerOut'];
export type FollowerPage = Schemas['FollowerPage'];
export type ConsoleMe = Schemas['ConsoleMeOut'];
export type Session = Schemas['SessionOut'];
export interface MenuButton { type?: string; name: string; key?: string; url?: string; media_id?: string; article_id?: string; appid?: string; pagepath?: string; sub_button?: MenuButton[] }
export type Attempt = Schemas['AttemptOut'];
export type Delivery = Schemas['DeliveryOut'];
