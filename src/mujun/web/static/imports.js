// 导入数据: refuse, before sending, files larger together than the server takes.
document.getElementById("import-form").addEventListener("submit", (event) => {
  const form = event.currentTarget;
  const bytes = Array.from(form.elements.file.files).reduce((sum, file) => sum + file.size, 0);
  if (bytes > Number(form.dataset.maxBytes)) {
    event.preventDefault();
    alert(form.dataset.tooLarge);
  }
});
