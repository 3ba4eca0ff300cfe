// The platform API's shapes the console reads (docs/openapi.yaml).
export interface ServerSettings { url: string | null; token: string | null; encoding_aes_key: string | null; message_mode: string | null }
export interface Account {
  appid: string; app_secret: string; original_id: string; name: string; type: 'service' | 'subscription' | 'miniprogram'; verified: boolean;
  owner: { id: string; kind: string; name: string; created_at: number }; server: ServerSettings; created_at: number; intro: string;
}
export interface Overview { followers: number; blacklisted: number; deliveries_ok: number; deliveries_failed: number; menu_set: boolean; server_configured: boolean }
export interface Follower { openid: string; nickname: string; remark: string; subscribe_time: number | null; blacklisted: boolean; window_left: number }
export interface FollowerPage { followers: Follower[]; next: string | null }
export interface MenuButton { type?: string; name: string; key?: string; url?: string; media_id?: string; article_id?: string; appid?: string; pagepath?: string; sub_button?: MenuButton[] }
export interface Attempt { attempt: number; url: string; status: number | null; error: string | null; at: number; latency_ms: number | null; request: string; response: string | null; request_plain: string | null; response_plain: string | null }
export interface Delivery { id: number; kind: string; state: string; attempts: Attempt[]; last_error: string | null; created_at: number }
