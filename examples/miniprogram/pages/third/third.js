Page({
  data: { depth: 0 },
  onLoad() {
    this.setData({ depth: getCurrentPages().length });
  },
});
