// Shows "your turn is near" pushes (payload decrypted by the browser) and opens the page on tap.
self.addEventListener("push", (event) => {
  let data = { title: "一次办", body: "" };
  try { data = event.data ? event.data.json() : data; } catch { data.body = event.data ? event.data.text() : ""; }
  event.waitUntil(self.registration.showNotification(data.title, { body: data.body, tag: data.tag, renotify: true }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow("/mobile"));
});
