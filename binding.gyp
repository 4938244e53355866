{
  "targets": [
    {
      "target_name": "tcplens",
      "sources": [
        "native/addon.cc",
        "native/napi_poll.cc",
        "native/napi_probe.cc",
        "native/napi_destroy.cc",
        "native/napi_sampler.cc",
        "native/sampler.c",
        "native/comm_dict.c",
        "native/sock_table.c",
        "native/destroy.c",
        "native/batch.c",
        "native/diag_parse.c",
        "native/diag_replay.c",
        "native/diag_dump.c",
        "native/netns.c",
        "native/probe.c",
        "native/libbpf_pic_shim.c",
        "native/napi_bpfstats.cc",
        "native/bpf_stats.c",
        "native/events.c",
        "native/napi_events.cc",
        "native/event_pump.c",
        "native/bpf_parts.c",
        "native/diag_lookup.c",
        "native/napi_lookup.cc",
        "native/iter_poll.c",
        "native/iter_read.c",
        "native/napi_iter.cc",
        "native/privdrop.c",
        "native/napi_privdrop.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "bpf/.output"
      ],
      "defines": [
        "NAPI_VERSION=9",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-missing-field-initializers"
      ],
      "cflags_c": [
        "-std=gnu11"
      ],
      "cflags_cc": [
        "-std=c++17"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "libraries": [
        "-l:libbpf.a",
        "-lelf",
        "-lz",
        "-ldl"
      ]
    }
  ]
}
