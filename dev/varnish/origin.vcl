# Varnish in front of warehouse-orgs, as a CDN would be: it keeps what the app says a shared
# cache may keep, tags each copy with the page's Surrogate-Key, and drops every copy tagged
# with a key when the app purges it after a commit (warehouse_orgs.cache.VarnishOriginCache).
#
# Included by the VCL that warehouse_orgs/cli/local_varnish.py writes, which names the
# backend (the app's address); `make serve VARNISH=1` and tests/functional/test_varnish_cache.py
# start it. Needs Debian's varnish and varnish-modules (xkey): `make varnish`.
import xkey;

# Only the app's own machine may purge.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is for the origin only"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the surrogate keys in the xkey-purge header"));
        }
        set req.http.x-purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.x-purged + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A signed-in visitor's pages are their own (the app marks them private too).
    if (req.http.Cookie || req.http.Authorization) {
        return (pass);
    }
    return (hash);
}

sub vcl_backend_response {
    # The app's Cache-Control decides: no header, private, no-cache or no-store, or a cookie
    # being set, and the answer is passed on but not kept (for a while, requests for it go
    # straight to the app instead of waiting on each other).
    if (!beresp.http.Cache-Control
            || beresp.http.Cache-Control ~ "(?i)(private|no-cache|no-store)"
            || beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 30s;
        return (deliver);
    }
    # xkey reads the keys from its own header; the app names them as Fastly reads them.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Varnish takes the lifetime from Cache-Control's s-maxage or max-age. After that, a page
    # is fetched again: nothing stale is served while the app is asked.
    set beresp.grace = 0s;
    return (deliver);
}

sub vcl_deliver {
    # For whoever is debugging: whether this copy came from the cache.
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
}
