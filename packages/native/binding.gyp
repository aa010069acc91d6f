{
  "targets": [
    {
      "target_name": "famfs_native",
      "sources": [
        "csrc/addon.cc",
        "csrc/common.cc",
        "csrc/mapping.cc",
        "csrc/huge-buffer.cc",
        "csrc/process-memory.cc",
        "csrc/cache.cc",
        "csrc/fileops.cc",
        "csrc/source.cc",
        "csrc/channel.cc",
        "csrc/fuse-uring.cc",
        "csrc/mount.cc",
        "csrc/checksum.cc",
        "csrc/crc32-fold.cc",
        "csrc/copy-files.cc",
        "csrc/dir-stats.cc",
        "csrc/xattr.cc",
        "csrc/prng.cc",
        "csrc/interrupts.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra"]
    }
  ]
}
