# node-gyp build of the TAP device addon (N-API, plain C), run by `npm install` through this
# package's install script. The result, build/Release/oasis_tap.node, is loaded by src/tap-addon.ts.
{
  "targets": [
    {
      "target_name": "oasis_tap",
      "sources": [
        "native/addon.c",
        "native/errors.c",
        "native/open.c",
        "native/receive.c",
        "native/send.c"
      ],
      "cflags": ["-std=c11"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    }
  ]
}
