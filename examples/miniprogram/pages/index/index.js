const { price } = require('../../utils/format.js');

Page({
  data: { count: 0, name: '', saved: '', openid: '', phone: '', subscribed: '', paid: '', uploaded: '', downloaded: '', scene: '', items: [] },
  onLoad(query) {
    const scene = query.scene ? decodeURIComponent(query.scene) : '';
    this.setData({
      scene,
      saved: wx.getStorageSync('name') || '',
      items: [{ id: 1, name: 'Flask', price: price(12900) }, { id: 2, name: 'Mug', price: price(3900) }],
    });
  },
  addOne() {
    this.setData({ count: this.data.count + 1 });
  },
  typed(e) {
    this.setData({ name: e.detail.value });
  },
  save() {
    wx.setStorageSync('name', this.data.name);
    this.setData({ saved: this.data.name });
    wx.showToast({ title: 'Saved', icon: 'success' });
  },
  server() {
    return getApp().globalData.server || wx.getStorageSync('server');
  },
  login() {
    wx.login({
      success: (r) => {
        wx.request({
          url: this.server() + '/login',
          method: 'POST',
          data: { code: r.code },
          success: (res) => this.setData({ openid: res.data.openid || 'refused: ' + JSON.stringify(res.data) }),
          fail: (e) => this.setData({ openid: e.errMsg }),
        });
      },
    });
  },
  phone(e) {
    if (!e.detail.code) return this.setData({ phone: e.detail.errMsg });
    wx.request({
      url: this.server() + '/phone',
      method: 'POST',
      data: { code: e.detail.code },
      success: (res) => this.setData({ phone: res.data.phone || JSON.stringify(res.data) }),
    });
  },
  photo() {
    wx.chooseImage({
      count: 1,
      success: (r) =>
        wx.uploadFile({
          url: this.server() + '/upload',
          filePath: r.tempFilePaths[0],
          name: 'photo',
          formData: { note: 'from the shop' },
          success: (res) => this.setData({ uploaded: res.data }),
          fail: (e) => this.setData({ uploaded: e.errMsg }),
        }),
    });
  },
  download() {
    wx.downloadFile({
      url: this.server() + '/prices.txt',
      success: (r) => this.setData({ downloaded: r.statusCode + (r.tempFilePath.startsWith('blob:') ? ' saved' : ' missing') }),
      fail: (e) => this.setData({ downloaded: e.errMsg }),
    });
  },
  buy() {
    // The developer server creates a JSAPI order for this user and signs what
    // wx.requestPayment needs (timeStamp, nonceStr, package, signType, paySign).
    wx.request({
      url: this.server() + '/pay',
      method: 'POST',
      success: (res) =>
        wx.requestPayment({
          ...res.data,
          success: () => this.setData({ paid: 'paid' }),
          fail: (e) => this.setData({ paid: e.errMsg }),
        }),
    });
  },
  subscribe() {
    const id = wx.getStorageSync('template');
    wx.requestSubscribeMessage({
      tmplIds: [id],
      success: (r) => this.setData({ subscribed: r[id] }),
      fail: (e) => this.setData({ subscribed: e.errMsg }),
    });
  },
});
