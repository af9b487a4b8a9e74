# The native TFTP data path (pxe/tftp/native/transfer.c), built by `npm install`
# into build/Release/anvil_tftp.node. Where it does not build, TFTP transfers run
# on worker threads in TypeScript instead (pxe/tftp/native-transfers.ts).
{
  "targets": [
    {
      "target_name": "anvil_tftp",
      "sources": ["pxe/tftp/native/transfer.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
