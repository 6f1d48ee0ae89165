// Routing of the static site (the Next.js export in S3), for CloudFront Functions
// (runtime cloudfront-js-2.0). infra/stacks/frontend.py builds two functions from this
// file: one on viewer requests (`viewerRequest`) and one on viewer responses
// (`viewerResponse`), each with FILES filled in at synth and a `handler` that calls it.
//
// The export is built with `trailingSlash: true`: the page `/sign-in/` is the file
// `sign-in/index.html`. S3 resolves nothing itself, so this function decides, for the
// request path exactly as the viewer sent it (no decoding, no normalizing):
//   - `/_next/static/...`, content-hashed build files: passed through as they are;
//   - a path ending in `/` whose `index.html` is in FILES: that file;
//   - a path that is in FILES (`/icon.svg`, `/sign-in/index.txt`): that file;
//   - a page path without its slash (`/sign-in`, an emailed `/verify-email#token=...`,
//     whose fragment the browser keeps): 308 to the slashed path, query kept;
//   - anything else: the site's 404 page, which the viewer-response function then
//     answers with status 404 (S3 would answer 403 with an XML error).
// entrypoints/http/static.py (`Site.route`) applies the same rules for `app serve`; a
// test runs both over the same paths.

// The export's files outside /_next/static/, as {"/sign-in/index.html": 1, ...}.
var FILES = /*@SITE_FILES@*/ {};
var IMMUTABLE_PREFIX = '/_next/static/';
var NOT_FOUND_PAGE = '/404.html';
// Pages that say "not found": served with status 404 wherever they are asked for.
var NOT_FOUND_PAGES = ['/404.html', '/404/index.html', '/_not-found/index.html'];
var PLAIN_SEGMENT = /^[A-Za-z0-9._~-]+$/;

function has(path) {
  return Object.prototype.hasOwnProperty.call(FILES, path);
}

function plainPath(path) {
  var segments = path.split('/');
  for (var i = 0; i < segments.length; i++) {
    var segment = segments[i];
    if (!PLAIN_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      return false;
    }
  }
  return true;
}

function file(path) {
  return { file: path, status: NOT_FOUND_PAGES.indexOf(path) === -1 ? 200 : 404 };
}

function notFound(uri) {
  return has(NOT_FOUND_PAGE) ? file(NOT_FOUND_PAGE) : { file: uri, status: 404 };
}

// {file, status}: the object to fetch and the status to answer with; or {redirect}.
function route(uri) {
  if (uri.indexOf(IMMUTABLE_PREFIX) === 0) {
    return plainPath(uri.slice(IMMUTABLE_PREFIX.length)) ? file(uri) : notFound(uri);
  }
  if (uri.charAt(uri.length - 1) === '/') {
    return has(uri + 'index.html') ? file(uri + 'index.html') : notFound(uri);
  }
  if (has(uri)) {
    return file(uri);
  }
  if (has(uri + '/index.html')) {
    return { redirect: uri + '/' };
  }
  return notFound(uri);
}

function viewerRequest(event) {
  var request = event.request;
  var target = route(request.uri);
  if (target.redirect !== undefined) {
    var query = request.rawQueryString();
    return {
      statusCode: 308,
      statusDescription: 'Permanent Redirect',
      headers: { location: { value: query ? target.redirect + '?' + query : target.redirect } },
    };
  }
  request.uri = target.file;
  return request;
}

// CloudFront runs viewer-response functions only for origin statuses below 400: S3
// answers 200 with the 404 page, and this turns it into a 404.
function viewerResponse(event) {
  var response = event.response;
  var target = route(event.request.uri);
  if (target.status === 404) {
    response.statusCode = 404;
    response.statusDescription = 'Not Found';
  }
  return response;
}
