{
  "targets": [
    {
      "target_name": "kernel_timeout_socket",
      "sources": [
        "native/addon.cc",
        "native/addon_data.cc",
        "native/address.cc",
        "native/bind_local.cc",
        "native/claim.cc",
        "native/completions.cc",
        "native/deadline_priority.cc",
        "native/deadline_thread.cc",
        "native/delivery.cc",
        "native/driver.cc",
        "native/engine.cc",
        "native/errno_names.cc",
        "native/handle.cc",
        "native/io_fast.cc",
        "native/io_steps.cc",
        "native/lane.cc",
        "native/lane_runner.cc",
        "native/loop_engine.cc",
        "native/op_registry.cc",
        "native/op_step.cc",
        "native/owned_thread.cc",
        "native/platform_posix.cc",
        "native/poll_watch.cc",
        "native/queue_watch.cc",
        "native/resolver.cc",
        "native/result.cc",
        "native/scratch.cc",
        "native/socket_wrap.cc",
        "native/socket_wrap_tcp.cc",
        "native/tcp_info.cc",
        "native/tcp_options.cc",
        "native/thread_pool.cc",
        "native/threads_engine.cc",
        "native/wake.cc",
        "native/waits.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-fvisibility=hidden",
        "-pthread"
      ],
      "ldflags": [
        "-pthread"
      ],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "OTHER_CPLUSPLUSFLAGS": [
          "-std=c++17",
          "-Wall",
          "-Wextra",
          "-fvisibility=hidden"
        ]
      },
      "conditions": [
        [
          "OS!='linux' and OS!='mac'",
          {
            "sources!": [
              "native/platform_posix.cc"
            ]
          }
        ],
        [
          "'<!(node -p \"process.env.KTS_WERROR ? 1 : 0\")'=='1'",
          {
            "cflags_cc": [
              "-Werror"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-Werror"
              ]
            }
          }
        ],
        [
          "'<!(node -p \"process.env.KTS_PORTABLE ? 1 : 0\")'=='1'",
          {
            "defines": [
              "KTS_PORTABLE"
            ]
          }
        ]
      ]
    }
  ]
}
