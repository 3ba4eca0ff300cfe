function price(fen) {
  return '¥' + (fen / 100).toFixed(2);
}
module.exports = { price };
