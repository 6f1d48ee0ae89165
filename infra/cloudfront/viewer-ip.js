// On the API behaviors (cloudfront-js-2.0): the viewer's address in X-Viewer-Ip, for
// the WAF rate-based rule and the app (CLIENT_IP_HEADER). It overwrites whatever the
// client sent under that name, so the value is CloudFront's view of the client.
function handler(event) {
  var request = event.request;
  request.headers['x-viewer-ip'] = { value: event.viewer.ip };
  return request;
}
