//! The built-in components pages use (`button`, `input`, `image`, …), written as mini-program
//! components themselves and compiled with every package under `herald-builtin/`. glass-easel
//! has none of its own: the host writes them (reference mini-programs.md §2). `view` and `text`
//! are not among them: glass-easel renders them as plain elements (the runtime styles them and
//! honours `hidden`), several times cheaper in long lists. Each one's host
//! element is the tag its page uses, so `<button>`, `<input>`, `<textarea>`, `<form>`,
//! `<label>` and `<progress>` are the browser's own elements, with their roles; the others get
//! a role and keyboard access from their script. Scripts reach the runtime's helpers through
//! `wx.__herald` (element, file URLs, navigation, pickers).

/// (tag, template, script) of each built-in component.
pub const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "button",
        "<slot />",
        r#"Component({
  properties: { type: String, size: String, plain: Boolean, disabled: Boolean, loading: Boolean, formType: String, openType: String, ariaLabel: String, hidden: Boolean, hoverClass: String,
    hoverStopPropagation: Boolean, hoverStartTime: Number, hoverStayTime: Number, lang: String, sessionFrom: String, sendMessageTitle: String, sendMessagePath: String, sendMessageImg: String, appParameter: String, showMessageCard: Boolean, businessId: String, phoneNumberNoQuotaToast: Boolean },
  observers: { 'type, size, plain, disabled, loading, ariaLabel, hidden': function () { wx.__herald.button(this) } },
  lifetimes: { attached() { wx.__herald.button(this); wx.__herald.onTap(this, () => wx.__herald.buttonTap(this)) } },
})"#,
    ),
    (
        "input",
        "",
        r#"Component({
  properties: { value: String, type: String, password: Boolean, placeholder: String, disabled: Boolean, maxlength: { type: Number, value: 140 }, focus: Boolean, confirmType: String, name: String, ariaLabel: String, hidden: Boolean,
    cursor: Number, autoFocus: Boolean, placeholderStyle: String, placeholderClass: String, confirmHold: Boolean, holdKeyboard: Boolean, cursorSpacing: Number, adjustPosition: Boolean, selectionEnd: Number, selectionStart: Number, alwaysEmbed: Boolean, alwaysSystem: Boolean, safePasswordCertPath: String },
  observers: { '**': function () { wx.__herald.field(this) } },
  lifetimes: { attached() { wx.__herald.field(this, true) } },
})"#,
    ),
    (
        "textarea",
        "",
        r#"Component({
  properties: { value: String, placeholder: String, disabled: Boolean, maxlength: { type: Number, value: 140 }, focus: Boolean, autoHeight: Boolean, name: String, ariaLabel: String, hidden: Boolean,
    cursor: Number, autoFocus: Boolean, placeholderStyle: String, placeholderClass: String, fixed: Boolean, showConfirmBar: Boolean, holdKeyboard: Boolean, cursorSpacing: Number, adjustPosition: Boolean, selectionEnd: Number, selectionStart: Number, disableDefaultPadding: Boolean, confirmType: String, confirmHold: Boolean },
  observers: { '**': function () { wx.__herald.field(this) } },
  lifetimes: { attached() { wx.__herald.field(this, true) } },
})"#,
    ),
    (
        "image",
        r#"<img src="{{realSrc}}" alt="{{ariaLabel}}" class="wx-image-img wx-image-{{mode}}" />"#,
        r#"Component({
  properties: { src: String, mode: { type: String, value: 'scaleToFill' }, lazyLoad: Boolean, ariaLabel: String, hidden: Boolean },
  data: { realSrc: '' },
  observers: { src(s) { this.setData({ realSrc: wx.__herald.fileUrl(s) }) }, 'hidden': function () { wx.__herald.applyCommon(this) } },
  lifetimes: { attached() { wx.__herald.applyCommon(this); const img = wx.__herald.el(this).querySelector('img'); if (img) { img.addEventListener('load', () => this.triggerEvent('load', { width: img.naturalWidth, height: img.naturalHeight })); img.addEventListener('error', () => this.triggerEvent('error', { errMsg: 'GET ' + this.data.src + ' 404' })) } } },
})"#,
    ),
    (
        "navigator",
        "<slot />",
        r#"Component({
  properties: { url: String, openType: { type: String, value: 'navigate' }, delta: { type: Number, value: 1 }, ariaLabel: String, hidden: Boolean, hoverClass: String },
  lifetimes: { attached() { wx.__herald.applyCommon(this, 'link'); wx.__herald.onTap(this, () => wx.__herald.navigate(this.data.openType, this.data.url, this.data.delta)) } },
})"#,
    ),
    (
        "scroll-view",
        "<slot />",
        r#"Component({
  properties: { scrollX: Boolean, scrollY: Boolean, upperThreshold: { type: Number, value: 50 }, lowerThreshold: { type: Number, value: 50 }, scrollTop: Number, scrollLeft: Number, refresherEnabled: Boolean, refresherTriggered: Boolean, hidden: Boolean },
  observers: { 'scrollX, scrollY, scrollTop, scrollLeft, hidden': function () { wx.__herald.scrollView(this) } },
  lifetimes: { attached() { wx.__herald.scrollView(this, true) } },
})"#,
    ),
    ("icon", "", r#"Component({ properties: { type: String, size: { type: Number, value: 23 }, color: String }, observers: { 'type, size, color': function () { wx.__herald.icon(this) } }, lifetimes: { attached() { wx.__herald.icon(this) } } })"#),
    (
        "switch",
        "",
        r#"Component({
  properties: { checked: Boolean, disabled: Boolean, type: String, color: String, name: String, ariaLabel: String },
  observers: { 'checked, disabled, ariaLabel': function () { wx.__herald.toggle(this, 'switch') } },
  lifetimes: { attached() { wx.__herald.toggle(this, 'switch'); wx.__herald.onTap(this, () => { if (this.data.disabled) return; this.setData({ checked: !this.data.checked }); this.triggerEvent('change', { value: this.data.checked }) }) } },
})"#,
    ),
    (
        "checkbox",
        "<slot />",
        r#"Component({
  properties: { value: String, checked: Boolean, disabled: Boolean, color: String, ariaLabel: String },
  observers: { 'checked, disabled, value': function () { wx.__herald.toggle(this, 'checkbox') } },
  lifetimes: { attached() { wx.__herald.toggle(this, 'checkbox'); wx.__herald.onTap(this, () => { if (this.data.disabled) return; this.setData({ checked: !this.data.checked }); wx.__herald.groupChanged(this, 'checkbox-group') }) } },
})"#,
    ),
    ("checkbox-group", "<slot />", "Component({ properties: { name: String } })"),
    (
        "radio",
        "<slot />",
        r#"Component({
  properties: { value: String, checked: Boolean, disabled: Boolean, color: String, ariaLabel: String },
  observers: { 'checked, disabled, value': function () { wx.__herald.toggle(this, 'radio') } },
  lifetimes: { attached() { wx.__herald.toggle(this, 'radio'); wx.__herald.onTap(this, () => { if (this.data.disabled || this.data.checked) return; wx.__herald.groupChanged(this, 'radio-group') }) } },
})"#,
    ),
    ("radio-group", "<slot />", "Component({ properties: { name: String } })"),
    ("label", "<slot />", r#"Component({ properties: { for: String }, lifetimes: { attached() { wx.__herald.label(this) } } })"#),
    (
        "slider",
        "",
        r#"Component({
  properties: { min: { type: Number, value: 0 }, max: { type: Number, value: 100 }, step: { type: Number, value: 1 }, value: Number, disabled: Boolean, showValue: Boolean, name: String, ariaLabel: String },
  observers: { '**': function () { wx.__herald.slider(this) } },
  lifetimes: { attached() { wx.__herald.slider(this, true) } },
})"#,
    ),
    (
        "progress",
        "",
        r#"Component({ properties: { percent: Number, showInfo: Boolean, activeColor: String, ariaLabel: String }, observers: { 'percent, ariaLabel': function () { wx.__herald.progress(this) } }, lifetimes: { attached() { wx.__herald.progress(this) } } })"#,
    ),
    (
        "form",
        "<slot />",
        r#"Component({ properties: { reportSubmit: Boolean }, lifetimes: { attached() { wx.__herald.form(this) } } })"#,
    ),
    (
        "picker",
        "<slot />",
        r#"Component({
  properties: { mode: { type: String, value: 'selector' }, range: { type: Array, value: [] }, rangeKey: String, value: null, start: String, end: String, disabled: Boolean, name: String, ariaLabel: String },
  lifetimes: { attached() { wx.__herald.applyCommon(this, 'button'); wx.__herald.onTap(this, () => { if (!this.data.disabled) wx.__herald.picker(this) }) } },
})"#,
    ),
    (
        "swiper",
        "<slot />",
        r#"Component({
  properties: { current: { type: Number, value: 0 }, autoplay: Boolean, interval: { type: Number, value: 5000 }, circular: Boolean, indicatorDots: Boolean, vertical: Boolean, duration: Number },
  observers: { 'current, autoplay, interval, indicatorDots': function () { wx.__herald.swiper(this) } },
  lifetimes: { attached() { wx.__herald.swiper(this, true) }, detached() { wx.__herald.swiperStop(this) } },
})"#,
    ),
    ("swiper-item", "<slot />", "Component({ properties: { itemId: String } })"),
    (
        "rich-text",
        "",
        r#"Component({ properties: { nodes: null, space: String }, observers: { nodes() { wx.__herald.richText(this) } }, lifetimes: { attached() { wx.__herald.richText(this) } } })"#,
    ),
];
