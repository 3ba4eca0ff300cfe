// The demo's mini program: the developer server (the demo's own, or a test's) is in
// globalData.server; wx.request may reach it once it is on the request-domain list.
App({
  globalData: { server: '' },
  onLaunch(options) {
    this.globalData.launchedWith = options.query || {};
  },
});
