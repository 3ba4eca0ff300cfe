Component({
  properties: { title: String },
});
