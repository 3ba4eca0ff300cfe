//! Every route Herald serves, in one table. The table builds the router and is exported as
//! `ROUTES`, which a test compares with `docs/openapi.yaml`.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::extract::{DefaultBodyLimit, Path};
use axum::middleware;
use axum::routing::{get, on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use herald_wire::{ErrCode, WxError};

use crate::error::WxErr;
use crate::state::AppState;
use crate::{cgi, layers, pay, platform, web};

macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path, )*) => {
        /// `(METHOD, path)` of every route, in axum's path syntax.
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path), )* ];

        fn table() -> Router<AppState> {
            let r = Router::new();
            $( let r = r.route($path, routes!(@method $method $path, $handler)); )*
            r
        }
    };
    (@method GET $path:literal, $h:path) => {
        wechat_method(on(MethodFilter::GET, $h), ErrCode::RequireGet, $path)
    };
    (@method POST $path:literal, $h:path) => {
        wechat_method(on(MethodFilter::POST, $h), ErrCode::RequirePost, $path)
    };
    (@method PUT $path:literal, $h:path) => {
        on(MethodFilter::PUT, $h)
    };
    (@method DELETE $path:literal, $h:path) => {
        on(MethodFilter::DELETE, $h)
    };
}

routes! {
    // WeChat-compatible Official Account API.
    GET "/cgi-bin/token" => cgi::token::get_token,
    POST "/cgi-bin/stable_token" => cgi::token::stable_token,
    GET "/cgi-bin/user/get" => cgi::user::list,
    GET "/cgi-bin/user/info" => cgi::user::info,
    POST "/cgi-bin/user/info/batchget" => cgi::user::batch_get,
    POST "/cgi-bin/user/info/updateremark" => cgi::user::update_remark,
    POST "/cgi-bin/tags/create" => cgi::tags::create,
    GET "/cgi-bin/tags/get" => cgi::tags::list,
    POST "/cgi-bin/tags/update" => cgi::tags::update,
    POST "/cgi-bin/tags/delete" => cgi::tags::delete,
    POST "/cgi-bin/user/tag/get" => cgi::tags::members,
    POST "/cgi-bin/tags/members/batchtagging" => cgi::tags::batch_tag,
    POST "/cgi-bin/tags/members/batchuntagging" => cgi::tags::batch_untag,
    POST "/cgi-bin/tags/getidlist" => cgi::tags::id_list,
    POST "/cgi-bin/tags/members/getblacklist" => cgi::tags::blacklist,
    POST "/cgi-bin/tags/members/batchblacklist" => cgi::tags::batch_blacklist,
    POST "/cgi-bin/tags/members/batchunblacklist" => cgi::tags::batch_unblacklist,
    POST "/cgi-bin/message/custom/send" => cgi::message::custom_send,
    POST "/cgi-bin/message/custom/typing" => cgi::message::custom_typing,
    POST "/cgi-bin/media/upload" => cgi::media::upload,
    GET "/cgi-bin/media/get" => cgi::media::get,
    POST "/cgi-bin/media/uploadimg" => cgi::media::upload_img,
    POST "/cgi-bin/media/uploadnews" => cgi::media::upload_news,
    POST "/cgi-bin/media/uploadvideo" => cgi::media::upload_video,
    POST "/cgi-bin/material/add_material" => cgi::media::add_material,
    POST "/cgi-bin/material/add_news" => cgi::media::add_news,
    POST "/cgi-bin/material/update_news" => cgi::media::update_news,
    POST "/cgi-bin/material/get_material" => cgi::media::get_material,
    POST "/cgi-bin/material/del_material" => cgi::media::del_material,
    GET "/cgi-bin/material/get_materialcount" => cgi::media::material_count,
    POST "/cgi-bin/material/batchget_material" => cgi::media::batchget_material,
    POST "/cgi-bin/draft/add" => cgi::draft::add,
    POST "/cgi-bin/draft/get" => cgi::draft::get,
    POST "/cgi-bin/draft/delete" => cgi::draft::delete,
    POST "/cgi-bin/draft/update" => cgi::draft::update,
    GET "/cgi-bin/draft/count" => cgi::draft::count,
    POST "/cgi-bin/draft/batchget" => cgi::draft::batchget,
    POST "/cgi-bin/freepublish/submit" => cgi::draft::submit,
    POST "/cgi-bin/freepublish/get" => cgi::draft::publish_get,
    POST "/cgi-bin/freepublish/delete" => cgi::draft::publish_delete,
    POST "/cgi-bin/freepublish/getarticle" => cgi::draft::getarticle,
    POST "/cgi-bin/freepublish/batchget" => cgi::draft::publish_batchget,
    POST "/cgi-bin/message/mass/sendall" => cgi::mass::sendall,
    POST "/cgi-bin/message/mass/send" => cgi::mass::send,
    POST "/cgi-bin/message/mass/preview" => cgi::mass::preview,
    POST "/cgi-bin/message/mass/delete" => cgi::mass::delete,
    POST "/cgi-bin/message/mass/get" => cgi::mass::get,
    POST "/cgi-bin/message/mass/speed/get" => cgi::mass::speed_get,
    POST "/cgi-bin/message/mass/speed/set" => cgi::mass::speed_set,
    POST "/cgi-bin/template/api_set_industry" => cgi::template::set_industry,
    GET "/cgi-bin/template/get_industry" => cgi::template::get_industry,
    POST "/cgi-bin/template/api_add_template" => cgi::template::add_template,
    GET "/cgi-bin/template/get_all_private_template" => cgi::template::list_templates,
    POST "/cgi-bin/template/del_private_template" => cgi::template::del_template,
    POST "/cgi-bin/message/template/send" => cgi::template::send,
    POST "/cgi-bin/qrcode/create" => cgi::qrcode::create,
    GET "/cgi-bin/showqrcode" => cgi::qrcode::show,
    POST "/cgi-bin/shorten/gen" => cgi::qrcode::shorten_gen,
    POST "/cgi-bin/shorten/fetch" => cgi::qrcode::shorten_fetch,
    POST "/cgi-bin/menu/create" => cgi::menu::create,
    GET "/cgi-bin/menu/get" => cgi::menu::get,
    GET "/cgi-bin/menu/delete" => cgi::menu::delete,
    GET "/cgi-bin/get_current_selfmenu_info" => cgi::menu::selfmenu_info,
    GET "/cgi-bin/get_current_autoreply_info" => cgi::message::autoreply_info,
    GET "/cgi-bin/getcallbackip" => cgi::misc::callback_ips,
    GET "/cgi-bin/get_api_domain_ip" => cgi::misc::api_domain_ips,
    POST "/cgi-bin/menu/addconditional" => cgi::menu::add_conditional,
    POST "/cgi-bin/menu/delconditional" => cgi::menu::del_conditional,
    POST "/cgi-bin/menu/trymatch" => cgi::menu::try_match,
    GET "/cgi-bin/ticket/getticket" => cgi::sns::getticket,
    GET "/sns/oauth2/access_token" => cgi::sns::access_token,
    GET "/sns/oauth2/refresh_token" => cgi::sns::refresh_token,
    GET "/sns/userinfo" => cgi::sns::userinfo,
    GET "/sns/auth" => cgi::sns::auth,

    // WeChat-compatible Mini Program API.
    GET "/sns/jscode2session" => cgi::wxa::jscode2session,
    POST "/wxa/getwxacodeunlimit" => cgi::wxa::code_unlimited,
    POST "/wxa/getwxacode" => cgi::wxa::code_limited,
    POST "/cgi-bin/wxaapp/createwxaqrcode" => cgi::wxa::code_limited,
    POST "/wxa/business/getuserphonenumber" => cgi::wxa::phone_number,
    POST "/wxa/generatescheme" => cgi::wxa::generate_scheme,
    POST "/wxa/generate_urllink" => cgi::wxa::generate_urllink,
    GET "/wxa/l/{id}" => cgi::wxa::open_urllink,
    POST "/wxa/msg_sec_check" => cgi::wxa::msg_sec_check,
    POST "/wxa/getuserriskrank" => cgi::wxa::user_risk_rank,
    POST "/wxa/modify_domain" => cgi::wxa::modify_domain,
    POST "/wxa/bind_tester" => cgi::wxa::bind_tester,
    POST "/wxa/unbind_tester" => cgi::wxa::unbind_tester,
    POST "/wxa/memberauth" => cgi::wxa::member_auth,
    GET "/wxaapi/newtmpl/getcategory" => cgi::subscribe::categories,
    GET "/wxaapi/newtmpl/getpubtemplatetitles" => cgi::subscribe::titles,
    GET "/wxaapi/newtmpl/getpubtemplatekeywords" => cgi::subscribe::keywords,
    POST "/wxaapi/newtmpl/addtemplate" => cgi::subscribe::add,
    GET "/wxaapi/newtmpl/gettemplate" => cgi::subscribe::list,
    POST "/wxaapi/newtmpl/deltemplate" => cgi::subscribe::delete,
    POST "/cgi-bin/message/subscribe/send" => cgi::subscribe::send,

    // WeChat Pay APIv3.
    GET "/v3/certificates" => pay::certificates::list,
    POST "/v3/pay/transactions/{kind}" => pay::orders::create,
    GET "/v3/pay/transactions/id/{transaction_id}" => pay::orders::by_id,
    GET "/v3/pay/transactions/out-trade-no/{out_trade_no}" => pay::orders::by_out_trade_no,
    POST "/v3/pay/transactions/out-trade-no/{out_trade_no}/close" => pay::orders::close,
    POST "/v3/refund/domestic/refunds" => pay::refunds::create,
    GET "/v3/bill/tradebill" => pay::bills::trade,
    GET "/v3/bill/fundflowbill" => pay::bills::fund_flow,
    GET "/v3/billdownload/file" => pay::bills::download,
    POST "/v3/marketing/favor/coupon-stocks" => pay::coupons::create,
    POST "/v3/marketing/favor/callbacks" => pay::coupons::callbacks,
    GET "/v3/marketing/favor/stocks" => pay::coupons::list,
    GET "/v3/marketing/favor/stocks/{stock_id}" => pay::coupons::detail,
    GET "/v3/marketing/favor/stocks/{stock_id}/use-flow" => pay::bills::coupon_use_flow,
    GET "/v3/marketing/favor/stocks/{stock_id}/refund-flow" => pay::bills::coupon_refund_flow,
    GET "/v3/marketing/favor/stocks/{stock_id}/merchants" => pay::coupons::merchants,
    GET "/v3/marketing/favor/stocks/{stock_id}/items" => pay::coupons::items,
    POST "/v3/marketing/favor/stocks/{stock_id}/{action}" => pay::coupons::change,
    POST "/v3/marketing/favor/users/{openid}/coupons" => pay::coupons::send,
    GET "/v3/marketing/favor/users/{openid}/coupons" => pay::coupons::user_coupons,
    GET "/v3/marketing/favor/users/{openid}/coupons/{coupon_id}" => pay::coupons::coupon,
    // WeChat Pay v2 (XML): red packets, also under the v2 sandbox prefix.
    POST "/mmpaymkttransfers/sendredpack" => pay::redpack::send,
    POST "/mmpaymkttransfers/sendgroupredpack" => pay::redpack::send_group,
    POST "/mmpaymkttransfers/gethbinfo" => pay::redpack::query,
    POST "/sandboxnew/pay/getsignkey" => pay::redpack::sandbox_signkey,
    POST "/sandboxnew/mmpaymkttransfers/sendredpack" => pay::redpack::send,
    POST "/sandboxnew/mmpaymkttransfers/sendgroupredpack" => pay::redpack::send_group,
    POST "/sandboxnew/mmpaymkttransfers/gethbinfo" => pay::redpack::query,
    GET "/v3/refund/domestic/refunds/{out_refund_no}" => pay::refunds::query,

    // Web pages: web OAuth, sign-in, and where a QR code's url leads.
    GET "/connect/oauth2/authorize" => web::oauth::authorize,
    POST "/connect/oauth2/authorize/confirm" => web::oauth::confirm,
    GET "/herald/signin" => web::signin,
    POST "/herald/signout" => web::signout,
    GET "/herald/me" => web::me,
    GET "/q/{key}" => web::qr_page,
    GET "/pay/h5" => web::cashier::h5,
    GET "/pay/cashier" => web::cashier::show,
    POST "/pay/cashier" => web::cashier::confirm,

    // Files and article pages, as WeChat's CDN and article hosts serve them: on the content
    // origin (`content_router`); here, a redirect there, so no authored page ever runs on the
    // app origin.
    GET "/mmbiz/{hash}" => cgi::content::to_content_origin,
    GET "/s/{article_id}/{idx}" => cgi::content::to_content_origin,
    GET "/s/mass/{appid}/{msg_id}/{idx}" => cgi::content::to_content_origin,

    // Herald's platform API.
    GET "/herald/v1/health" => platform::health,
    POST "/herald/v1/auth/signup" => platform::auth::signup,
    POST "/herald/v1/auth/signin" => platform::auth::signin,
    POST "/herald/v1/auth/signout" => platform::auth::signout,
    GET "/herald/v1/me" => platform::auth::me,
    PUT "/herald/v1/me/password" => platform::auth::change_password,
    GET "/herald/v1/me/sessions" => platform::auth::sessions,
    DELETE "/herald/v1/me/sessions/{id}" => platform::auth::end_session,
    POST "/herald/v1/console/signin" => platform::console::signin,
    POST "/herald/v1/console/signout" => platform::console::signout,
    GET "/herald/v1/console/me" => platform::console::me,
    PUT "/herald/v1/console/password" => platform::console::change_password,
    GET "/herald/v1/console/sessions" => platform::console::sessions,
    DELETE "/herald/v1/console/sessions/{id}" => platform::console::end_session,
    GET "/herald/v1/console/members" => platform::members::list,
    POST "/herald/v1/console/members" => platform::members::invite,
    PUT "/herald/v1/console/members/{id}" => platform::members::set_role,
    DELETE "/herald/v1/console/members/{id}" => platform::members::remove,
    GET "/herald/v1/console/invitations/{token}" => platform::members::show_invitation,
    POST "/herald/v1/console/invitations/{token}/accept" => platform::members::accept,
    POST "/herald/v1/console/totp" => platform::members::totp_setup,
    POST "/herald/v1/console/totp/confirm" => platform::members::totp_confirm,
    POST "/herald/v1/console/totp/disable" => platform::members::totp_disable,
    POST "/herald/v1/owners/{id}/console_view" => platform::members::view,
    PUT "/herald/v1/owners/{id}/login" => platform::console::set_owner_login,
    POST "/herald/v1/owners" => platform::accounts::create_owner,
    GET "/herald/v1/owners" => platform::accounts::list_owners,
    POST "/herald/v1/accounts" => platform::accounts::create,
    GET "/herald/v1/accounts" => platform::accounts::list,
    GET "/herald/v1/accounts/{appid}" => platform::accounts::show,
    POST "/herald/v1/accounts/{appid}/verify" => platform::accounts::verify,
    POST "/herald/v1/accounts/{appid}/upgrade" => platform::accounts::upgrade,
    POST "/herald/v1/accounts/{appid}/reset_secret" => platform::accounts::reset_secret,
    PUT "/herald/v1/accounts/{appid}/intro" => platform::accounts::set_intro,
    PUT "/herald/v1/accounts/{appid}/server" => platform::accounts::set_server,
    GET "/herald/v1/accounts/{appid}/menu" => platform::manage::get_menu,
    PUT "/herald/v1/accounts/{appid}/menu" => platform::manage::put_menu,
    DELETE "/herald/v1/accounts/{appid}/menu" => platform::manage::delete_menu,
    GET "/herald/v1/accounts/{appid}/followers" => platform::manage::followers,
    GET "/herald/v1/accounts/{appid}/overview" => platform::manage::overview,
    GET "/herald/v1/accounts/{appid}/inbox" => platform::inbox::inbox,
    GET "/herald/v1/accounts/{appid}/quick_replies" => platform::inbox::quick_replies,
    PUT "/herald/v1/accounts/{appid}/quick_replies" => platform::inbox::set_quick_replies,
    GET "/herald/v1/accounts/{appid}/tags" => platform::broadcast::tags,
    POST "/herald/v1/accounts/{appid}/tags" => platform::broadcast::create_tag,
    PUT "/herald/v1/accounts/{appid}/tags/{id}" => platform::broadcast::rename_tag,
    DELETE "/herald/v1/accounts/{appid}/tags/{id}" => platform::broadcast::delete_tag,
    POST "/herald/v1/accounts/{appid}/materials/image" => platform::content::upload_image,
    POST "/herald/v1/accounts/{appid}/drafts" => platform::content::add_draft,
    GET "/herald/v1/accounts/{appid}/drafts" => platform::content::drafts,
    POST "/herald/v1/accounts/{appid}/drafts/publish" => platform::content::publish,
    POST "/herald/v1/accounts/{appid}/drafts/preview" => platform::content::preview,
    GET "/herald/v1/accounts/{appid}/publications" => platform::content::publications,
    POST "/herald/v1/accounts/{appid}/mass/preview" => platform::broadcast::preview,
    POST "/herald/v1/accounts/{appid}/mass" => platform::broadcast::send,
    GET "/herald/v1/accounts/{appid}/mass" => platform::broadcast::history,
    GET "/herald/v1/accounts/{appid}/qrcodes" => platform::manage::qrcodes,
    GET "/herald/v1/accounts/{appid}/ip_allow_list" => platform::manage::ip_allow_list,
    PUT "/herald/v1/accounts/{appid}/ip_allow_list" => platform::manage::set_ip_allow_list,
    POST "/herald/v1/accounts/{appid}/qrcodes" => platform::manage::create_qrcode,
    GET "/herald/v1/accounts/{appid}/followers/{openid}" => platform::inbox::show,
    PUT "/herald/v1/accounts/{appid}/followers/{openid}" => platform::inbox::edit,
    GET "/herald/v1/accounts/{appid}/followers/{openid}/messages" => platform::inbox::conversation,
    POST "/herald/v1/accounts/{appid}/followers/{openid}/messages" => platform::inbox::reply,
    POST "/herald/v1/users" => platform::users::create,
    GET "/herald/v1/users" => platform::users::list,
    GET "/herald/v1/users/{id}" => platform::users::show,
    POST "/herald/v1/users/{id}/follow" => platform::users::follow,
    POST "/herald/v1/users/{id}/unfollow" => platform::users::unfollow,
    GET "/herald/v1/users/{id}/following" => platform::users::following,
    POST "/herald/v1/users/{id}/messages" => platform::conversations::send_message,
    POST "/herald/v1/users/{id}/events" => platform::conversations::raise_event,
    GET "/herald/v1/users/{id}/conversations/{appid}" => platform::conversations::conversation,
    GET "/herald/v1/users/{id}/chats" => platform::chats::chats,
    POST "/herald/v1/users/{id}/chats/{appid}/read" => platform::chats::mark_read,
    GET "/herald/v1/users/{id}/pushes/{appid}" => platform::chats::pushes,
    GET "/herald/v1/users/{id}/subscriptions" => platform::chats::folder,
    GET "/herald/v1/users/{id}/live" => platform::live::live,
    GET "/herald/v1/directory" => platform::directory::search,
    GET "/herald/v1/directory/{appid}" => platform::directory::show,
    GET "/herald/v1/template-library" => platform::chats::template_library,
    GET "/herald/v1/accounts/{appid}/deliveries" => platform::conversations::deliveries,
    GET "/herald/v1/accounts/{appid}/api_calls" => crate::requestlog::account_calls,
    GET "/herald/v1/accounts/{appid}/templates" => platform::templates::list,
    POST "/herald/v1/accounts/{appid}/templates" => platform::templates::add,
    PUT "/herald/v1/accounts/{appid}/templates/industry" => platform::templates::set_industry,
    POST "/herald/v1/accounts/{appid}/templates/send" => platform::templates::send,
    DELETE "/herald/v1/accounts/{appid}/templates/{id}" => platform::templates::delete,
    POST "/herald/v1/accounts/{appid}/deliveries/{job}/redeliver" => platform::conversations::redeliver,
    POST "/herald/v1/accounts/{appid}/deliveries/redeliver_failed" => platform::conversations::redeliver_failed,
    GET "/herald/v1/accounts/{appid}/auto_replies" => platform::conversations::get_auto_replies,
    PUT "/herald/v1/accounts/{appid}/auto_replies" => platform::conversations::set_auto_replies,
    PUT "/herald/v1/users/{id}/profile" => platform::users::set_profile,
    PUT "/herald/v1/users/{id}/avatar" => platform::users::set_avatar,
    PUT "/herald/v1/users/{id}/nickname" => platform::users::set_nickname,
    POST "/herald/v1/users/{id}/login" => platform::auth::give_login,
    POST "/herald/v1/users/{id}/scan" => platform::web::scan,
    GET "/herald/v1/users/{id}/miniprograms/{appid}" => platform::miniprogram::show,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/login" => platform::miniprogram::login,
    GET "/herald/v1/users/{id}/miniprograms/{appid}/session" => platform::miniprogram::check_session,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/user_profile" => platform::miniprogram::user_profile,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/phone_code" => platform::miniprogram::phone_code,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/subscriptions" => platform::miniprogram::subscribe,
    GET "/herald/v1/users/{id}/miniprograms/{appid}/storage" => platform::miniprogram::storage,
    DELETE "/herald/v1/users/{id}/miniprograms/{appid}/storage" => platform::miniprogram::clear_storage,
    PUT "/herald/v1/users/{id}/miniprograms/{appid}/storage/{key}" => platform::miniprogram::set_storage,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/request" => platform::miniprogram::request,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/download" => platform::miniprogram::download,
    POST "/herald/v1/users/{id}/miniprograms/{appid}/upload" => platform::miniprogram::upload,
    GET "/herald/v1/users/{id}/miniprograms/{appid}/automation" => platform::automation::device,
    GET "/herald/v1/automation/{appid}" => platform::automation::client,
    GET "/herald/v1/users/{id}/menus/{appid}" => platform::web::user_menu,
    POST "/herald/v1/users/{id}/menus/{appid}/tap" => platform::web::tap,
    POST "/herald/v1/users/{id}/signin_links" => platform::web::signin_link,
    GET "/herald/v1/accounts/{appid}/qrcode" => platform::web::account_qrcode,
    POST "/herald/v1/accounts/{appid}/miniprogram/versions" => platform::mppackages::upload,
    GET "/herald/v1/accounts/{appid}/miniprogram/versions" => platform::mppackages::versions,
    POST "/herald/v1/accounts/{appid}/miniprogram/channels" => platform::mppackages::set_channel,
    POST "/herald/v1/accounts/{appid}/miniprogram/rollback" => platform::mppackages::rollback,
    GET "/herald/v1/accounts/{appid}/miniprogram/domains" => platform::mppackages::domains,
    PUT "/herald/v1/accounts/{appid}/miniprogram/domains" => platform::mppackages::set_domains,
    GET "/herald/v1/accounts/{appid}/miniprogram/testers" => platform::mppackages::testers,
    POST "/herald/v1/accounts/{appid}/miniprogram/testers" => platform::mppackages::add_tester,
    DELETE "/herald/v1/accounts/{appid}/miniprogram/testers/{user}" => platform::mppackages::remove_tester,
    GET "/herald/v1/accounts/{appid}/web_domain" => platform::web::web_domain,
    PUT "/herald/v1/accounts/{appid}/web_domain" => platform::web::set_web_domain,
    POST "/herald/v1/jssdk/verify" => platform::web::jssdk_verify,
    POST "/herald/v1/users/{id}/wallet/topup" => platform::wallet::topup,
    GET "/herald/v1/users/{id}/wallet" => platform::wallet::show,
    GET "/herald/v1/users/{id}/coupons" => platform::wallet::coupons,
    GET "/herald/v1/ledger" => platform::wallet::audit,
    POST "/herald/v1/merchants" => platform::merchants::create,
    GET "/herald/v1/merchants/{mchid}" => platform::merchants::show,
    POST "/herald/v1/merchants/{mchid}/apps" => platform::merchants::bind,
    GET "/herald/v1/merchants/{mchid}/notifications" => platform::merchants::notifications,
    GET "/herald/v1/merchants/{mchid}/orders/{out_trade_no}" => platform::merchants::order,
    POST "/herald/v1/merchants/{mchid}/topup" => platform::merchants::topup,
    PUT "/herald/v1/merchants/{mchid}/refund_mode" => platform::merchants::refund_mode,
    PUT "/herald/v1/merchants/{mchid}/h5_domain" => platform::merchants::set_h5_domain,
    POST "/herald/v1/merchants/{mchid}/refunds/{out_refund_no}/settle" => platform::merchants::settle_refund,
    POST "/herald/v1/users/{id}/payments" => platform::merchants::pay,
    GET "/herald/v1/users/{id}/redpacks" => platform::redpacks::list,
    POST "/herald/v1/users/{id}/redpacks/{send_listid}/open" => platform::redpacks::open,
    GET "/herald/v1/clock" => platform::clock::show,
    POST "/herald/v1/reset" => crate::seedfile::reset,
    GET "/herald/v1/logs" => crate::requestlog::list,
    POST "/herald/v1/faults" => crate::faults::add,
    GET "/herald/v1/faults" => crate::faults::list,
    DELETE "/herald/v1/faults" => crate::faults::clear,
    DELETE "/herald/v1/faults/{id}" => crate::faults::delete,
    POST "/herald/v1/clock" => platform::clock::change,
}

/// WeChat answers a call with the wrong method with 43001/43002 (over HTTP 200); the
/// platform API, WeChat Pay and the cashier pages answer 405 as usual.
fn wechat_method(mr: MethodRouter<AppState>, code: ErrCode, path: &str) -> MethodRouter<AppState> {
    if ["/herald/", "/v3/", "/pay/", "/mmpaymkttransfers/", "/sandboxnew/"].iter().any(|p| path.starts_with(p)) {
        mr
    } else {
        mr.fallback(move || std::future::ready(WxErr::from(code).into_response()))
    }
}

/// The first path segments of the web app's own pages (served its `index.html`).
const APP_PAGES: &[&str] = &["mp", "console", "signin", "signup", "chat", "subscriptions", "read", "contacts", "accounts", "wallet", "me", "scan"];

/// The web app: its files under `/assets/` (hashed names, cached for good; a missing one is a
/// real 404) and its page for `/` and each of its routes (never cached, so a new build shows).
fn app_page(path: &str) -> Option<Response> {
    use axum::http::header;
    let file = path.strip_prefix('/').unwrap_or(path);
    if file.starts_with("assets/") || file == "favicon.svg" {
        let Some(a) = herald_webui::asset(file) else { return Some((StatusCode::NOT_FOUND, "not found").into_response()) };
        let cache = if a.immutable { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
        return Some(([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, cache)], a.bytes).into_response());
    }
    let first = file.split('/').next().unwrap_or("");
    if file.is_empty() || APP_PAGES.contains(&first) {
        let a = herald_webui::index()?;
        return Some(([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, "no-cache")], a.bytes).into_response());
    }
    None
}

async fn fallback(method: axum::http::Method, uri: Uri) -> Response {
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        if let Some(r) = app_page(uri.path()) {
            return r;
        }
    }
    not_found(uri).await
}

async fn not_found(uri: Uri) -> Response {
    let mut e = WxError::with_detail(ErrCode::SystemError, format!("no such API: {}", uri.path()));
    e.rid = Some(crate::error::rid());
    (StatusCode::NOT_FOUND, Json(e)).into_response()
}

/// The app origin: every API and the platform's pages.
pub fn router(state: AppState) -> Router<AppState> {
    table()
        .fallback(fallback)
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state, layers::app))
        .layer(tower::limit::ConcurrencyLimitLayer::new(4096))
}

/// The web build's hashed files on the content origin: the mini-program runtime's scripts.
async fn content_asset(Path(file): Path<String>) -> Response {
    use axum::http::header;
    match herald_webui::asset(&format!("assets/{file}")) {
        Some(a) => ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], a.bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The content origin: what businesses and developers author, and nothing else. No route here
/// reads a session or reaches a user's data.
pub fn content_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/mmbiz/{hash}", get(cgi::content::file))
        .route("/s/{article_id}/{idx}", get(cgi::content::published_article))
        .route("/s/mass/{appid}/{msg_id}/{idx}", get(cgi::content::mass_article))
        .route("/mpr/{appid}/{version}/", get(platform::mppackages::runtime_page))
        .route("/mpr/{appid}/{version}/package.js", get(platform::mppackages::package))
        .route("/mpr/{appid}/{version}/files/{*path}", get(platform::mppackages::file))
        .route("/assets/{*file}", get(content_asset))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state, layers::content))
        .layer(tower::limit::ConcurrencyLimitLayer::new(4096))
}
