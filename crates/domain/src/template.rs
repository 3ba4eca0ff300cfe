//! Template messages: the industries, the platform's template library, and how a template's
//! `{{key.DATA}}` fields are filled.

use herald_wire::{ErrCode, WxError};
use serde_json::{json, Value};

/// Templates an account may have added at once.
pub const MAX_TEMPLATES: usize = 25;

/// WeChat's industry list: id → (first class, second class).
pub const INDUSTRIES: [(&str, &str); 41] = [
    ("IT科技", "互联网|电子商务"),
    ("IT科技", "IT软件与服务"),
    ("IT科技", "IT硬件与设备"),
    ("IT科技", "电子技术"),
    ("IT科技", "通信与运营商"),
    ("IT科技", "网络游戏"),
    ("金融业", "银行"),
    ("金融业", "基金理财信托"),
    ("金融业", "保险"),
    ("餐饮", "餐饮"),
    ("酒店旅游", "酒店"),
    ("酒店旅游", "旅游"),
    ("运输与仓储", "快递"),
    ("运输与仓储", "物流"),
    ("运输与仓储", "仓储"),
    ("教育", "培训"),
    ("教育", "院校"),
    ("政府与公共事业", "学术科研"),
    ("政府与公共事业", "交警"),
    ("政府与公共事业", "博物馆"),
    ("政府与公共事业", "公共事业非盈利机构"),
    ("医药护理", "医药医疗"),
    ("医药护理", "护理美容"),
    ("医药护理", "保健与卫生"),
    ("交通工具", "汽车相关"),
    ("交通工具", "摩托车相关"),
    ("交通工具", "火车相关"),
    ("交通工具", "飞机相关"),
    ("房地产", "建筑"),
    ("房地产", "物业"),
    ("消费品", "消费品"),
    ("商业服务", "法律"),
    ("商业服务", "会展"),
    ("商业服务", "中介服务"),
    ("商业服务", "认证"),
    ("商业服务", "审计"),
    ("文体娱乐", "传媒"),
    ("文体娱乐", "体育"),
    ("文体娱乐", "娱乐休闲"),
    ("印刷", "印刷"),
    ("其它", "其它"),
];

/// An industry id (1–41), as a number or a numeric string; 40102 otherwise.
pub fn industry(v: Option<&Value>) -> Result<i64, WxError> {
    herald_wire::lenient::int_value(v)
        .filter(|i| (1..=INDUSTRIES.len() as i64).contains(i)).ok_or(WxError::new(ErrCode::InvalidIndustryId))
}

pub fn industry_json(id: Option<i64>) -> Value {
    match id.and_then(|i| INDUSTRIES.get(usize::try_from(i - 1).ok()?)) {
        Some((first, second)) => json!({"first_class": first, "second_class": second}),
        None => json!({"first_class": "", "second_class": ""}),
    }
}

/// A template of the platform's library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryTemplate {
    pub short_id: &'static str,
    pub industry: i64,
    pub title: &'static str,
    pub content: &'static str,
    pub example: &'static str,
}

macro_rules! library {
    ($( $id:literal, $ind:literal, $title:literal, $content:literal, $example:literal; )*) => {
        /// The platform's template library.
        pub const LIBRARY: &[LibraryTemplate] = &[ $( LibraryTemplate { short_id: $id, industry: $ind, title: $title, content: $content, example: $example }, )* ];
    };
}

library! {
    "TM00015", 1, "订单支付成功", "{{first.DATA}}\n支付金额：{{orderMoneySum.DATA}}\n商品信息：{{orderProductName.DATA}}\n{{Remark.DATA}}",
        "我们已收到您的货款，开始为您打包商品，请耐心等待: )\n支付金额：30.00元\n商品信息：我是商品名字\n如有问题请致电400-828-1878或直接在微信留言，小易将第一时间为您服务！";
    "TM00184", 1, "订单发货提醒", "{{first.DATA}}\n订单编号：{{keyword1.DATA}}\n物流公司：{{keyword2.DATA}}\n物流单号：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您的订单已发货\n订单编号：20260101001\n物流公司：顺丰速运\n物流单号：SF1234567890\n点击查看物流详情";
    "TM00352", 7, "账户余额变动提醒", "{{first.DATA}}\n变动时间：{{keyword1.DATA}}\n变动金额：{{keyword2.DATA}}\n账户余额：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您的账户余额有变动\n变动时间：2026-01-01 12:00\n变动金额：-100.00元\n账户余额：900.00元\n如非本人操作请致电客服";
    "TM00785", 7, "信用卡还款提醒", "{{first.DATA}}\n还款金额：{{keyword1.DATA}}\n最后还款日：{{keyword2.DATA}}\n{{remark.DATA}}",
        "您本期账单即将到期\n还款金额：1,280.00元\n最后还款日：2026年1月25日\n请按时还款，避免影响信用";
    "TM00106", 10, "排队叫号提醒", "{{first.DATA}}\n排队号码：{{keyword1.DATA}}\n前方等待：{{keyword2.DATA}}\n{{remark.DATA}}",
        "您的号码即将到号\n排队号码：A023\n前方等待：2桌\n请留意叫号，过号需重新取号";
    "TM00189", 11, "酒店预订成功通知", "{{first.DATA}}\n酒店名称：{{hotelName.DATA}}\n入住日期：{{checkIn.DATA}}\n离店日期：{{checkOut.DATA}}\n{{remark.DATA}}",
        "您的酒店预订已确认\n酒店名称：海景酒店\n入住日期：2026-02-01\n离店日期：2026-02-03\n期待您的光临";
    "TM00008", 28, "航班动态提醒", "{{first.DATA}}\n航班号：{{flight.DATA}}\n计划起飞：{{departure.DATA}}\n登机口：{{gate.DATA}}\n{{remark.DATA}}",
        "您关注的航班状态有更新\n航班号：CA1234\n计划起飞：08:30\n登机口：C12\n请提前到达登机口";
    "TM00262", 13, "快递派送通知", "{{first.DATA}}\n快递单号：{{keyword1.DATA}}\n派送员：{{keyword2.DATA}}\n联系电话：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您的快递正在派送中\n快递单号：YT9876543210\n派送员：王师傅\n联系电话：138****0000\n请保持电话畅通";
    "TM00431", 16, "课程上课提醒", "{{first.DATA}}\n课程名称：{{keyword1.DATA}}\n上课时间：{{keyword2.DATA}}\n上课地点：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您预约的课程即将开始\n课程名称：少儿编程入门\n上课时间：周六 10:00\n上课地点：三楼301教室\n请准时参加";
    "TM00207", 22, "挂号成功通知", "{{first.DATA}}\n就诊人：{{keyword1.DATA}}\n就诊科室：{{keyword2.DATA}}\n就诊时间：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您已挂号成功\n就诊人：张三\n就诊科室：内科\n就诊时间：2026-01-05 09:30\n请携带身份证按时就诊";
    "TM00427", 30, "物业缴费通知", "{{first.DATA}}\n缴费项目：{{keyword1.DATA}}\n应缴金额：{{keyword2.DATA}}\n截止日期：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您本月的物业费账单已生成\n缴费项目：物业管理费\n应缴金额：320.00元\n截止日期：2026-01-31\n可在公众号内在线缴费";
    "TM00595", 33, "活动报名成功通知", "{{first.DATA}}\n活动名称：{{keyword1.DATA}}\n活动时间：{{keyword2.DATA}}\n活动地点：{{keyword3.DATA}}\n{{remark.DATA}}",
        "您已成功报名\n活动名称：新品发布会\n活动时间：2026-03-01 14:00\n活动地点：会展中心A馆\n请凭此消息签到入场";
}

pub fn find(short_id: &str) -> Option<&'static LibraryTemplate> {
    LIBRARY.iter().find(|t| t.short_id == short_id)
}

/// The `{{key.DATA}}` keys of a template's content, in order.
pub fn keys(content: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else { break };
        let inner = &rest[start + 2..start + end];
        if let Some(k) = inner.strip_suffix(".DATA") {
            out.push(k);
        }
        rest = &rest[start + end + 2..];
    }
    out
}

/// Fills a template's fields from `data` (`{"key":{"value","color"?}}`); a missing key is
/// left empty, as WeChat shows it.
pub fn render(content: &str, data: &Value) -> String {
    let mut out = content.to_string();
    for k in keys(content) {
        let v = data.get(k).and_then(|d| d.get("value").or(Some(d))).map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null | Value::Object(_) => String::new(),
            other => other.to_string(),
        });
        out = out.replace(&format!("{{{{{k}.DATA}}}}"), &v.unwrap_or_default());
    }
    out
}

/// Checks a send's `data`: an object of objects (47001 otherwise).
pub fn check_data(data: Option<&Value>) -> Result<&Value, WxError> {
    match data {
        Some(d @ Value::Object(m)) if m.values().all(|v| v.is_object() || v.is_string()) => Ok(d),
        _ => Err(WxError::with_detail(ErrCode::DataFormatError, "data must be an object of {\"value\",\"color\"}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_has_a_dozen_fillable_templates() {
        assert!(LIBRARY.len() >= 12);
        for t in LIBRARY {
            assert!(!keys(t.content).is_empty(), "{}", t.short_id);
            assert!((1..=41).contains(&t.industry));
        }
        let t = find("TM00015").unwrap();
        assert_eq!(keys(t.content), ["first", "orderMoneySum", "orderProductName", "Remark"]);
        let text = render(t.content, &json!({"first": {"value": "Paid", "color": "#173177"}, "orderMoneySum": {"value": "30.00"}}));
        assert!(text.starts_with("Paid\n支付金额：30.00\n商品信息：\n"));
    }

    #[test]
    fn industries_are_checked() {
        assert_eq!(industry(Some(&json!(1))).unwrap(), 1);
        assert_eq!(industry(Some(&json!("41"))).unwrap(), 41);
        assert_eq!(industry(Some(&json!(42))).unwrap_err().code, ErrCode::InvalidIndustryId);
        assert_eq!(industry_json(Some(1))["first_class"], "IT科技");
        assert!(check_data(Some(&json!({"a": {"value": "x"}}))).is_ok());
        assert!(check_data(Some(&json!([1]))).is_err());
    }
}
