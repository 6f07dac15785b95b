# Unit tests: tests/unit/<module>/test_*.c, one executable each, label "unit".
# Integration tests: tests/integration/test_*.c, linked with the harness, label "integration".
# Fuzz corpus replay: tests/fuzz/fuzz_*.c replayed over tests/fuzz/corpus/<name>/, label "fuzz".
# PostgreSQL: tests/pg/test_*.c, label "pg" (skipped unless PORTEN_TEST_PG is set), and every
# C integration test again as pg_test_* with PORTEN_TEST_BACKEND=postgresql (same label).
if(NOT CMOCKA_FOUND)
  message(WARNING "cmocka not found: tests are not built")
  return()
endif()

file(GLOB_RECURSE unit_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(t IN LISTS unit_tests)
  get_filename_component(name ${t} NAME_WE)
  get_filename_component(dir ${t} DIRECTORY)
  get_filename_component(mod ${dir} NAME)
  set(target unit_${mod}_${name})
  add_executable(${target} ${t})
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/lib ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(${target} PRIVATE porten_core PkgConfig::CMOCKA)
  target_compile_definitions(${target} PRIVATE PORTEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME ${target} COMMAND ${target})
  set_tests_properties(${target} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()

file(GLOB harness_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/harness/*.c)
if(harness_sources)
  add_library(porten_harness STATIC ${harness_sources})
  target_include_directories(porten_harness PUBLIC ${CMAKE_SOURCE_DIR}/tests/integration/harness
                                              ${CMAKE_SOURCE_DIR}/lib)
  target_link_libraries(porten_harness PUBLIC porten_core PkgConfig::CMOCKA)
  target_compile_definitions(porten_harness PUBLIC
    PORTEN_BIN="$<TARGET_FILE:porten>" PORTEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
file(GLOB integration_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.c)
foreach(t IN LISTS integration_tests)
  get_filename_component(name ${t} NAME_WE)
  set(target integration_${name})
  add_executable(${target} ${t})
  target_link_libraries(${target} PRIVATE porten_harness)
  add_dependencies(${target} porten)
  add_test(NAME ${target} COMMAND ${target})
  set_tests_properties(${target} PROPERTIES LABELS integration TIMEOUT 600)
  # The same test on PostgreSQL: the harness gives every server a database of its own on
  # PORTEN_TEST_PG's cluster (exit 77, skipped, without it).
  add_test(NAME pg_${name} COMMAND ${target})
  set_tests_properties(pg_${name} PROPERTIES LABELS pg TIMEOUT 900 SKIP_RETURN_CODE 77
                       ENVIRONMENT PORTEN_TEST_BACKEND=postgresql)
endforeach()

# PostgreSQL tests: tests/pg/test_*.c, linked with the harness and tests/pg's helpers,
# label "pg". They read a server's URI from env PORTEN_TEST_PG and exit 77 (skipped)
# without it; each works in databases of its own, so they run in parallel.
file(GLOB pg_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/pg/test_*.c)
file(GLOB pg_helpers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/pg/pgtest.c)
foreach(t IN LISTS pg_tests)
  get_filename_component(name ${t} NAME_WE)
  set(target pg_${name})
  add_executable(${target} ${t} ${pg_helpers})
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/tests/pg
                                               ${CMAKE_SOURCE_DIR}/lib)
  target_link_libraries(${target} PRIVATE porten_harness)
  target_compile_definitions(${target} PRIVATE PORTEN_CLUSTER_SCRIPT="${CMAKE_SOURCE_DIR}/scripts/pg-cluster.sh")
  add_dependencies(${target} porten)
  add_test(NAME ${target} COMMAND ${target})
  set_tests_properties(${target} PROPERTIES LABELS pg TIMEOUT 900 SKIP_RETURN_CODE 77)
endforeach()

# Scripts (shell or Python) that drive the binary black-box.
file(GLOB script_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh
                                         ${CMAKE_SOURCE_DIR}/tests/integration/test_*.py)
foreach(t IN LISTS script_tests)
  get_filename_component(name ${t} NAME)
  string(REGEX REPLACE "[.]" "_" name ${name})
  if(t MATCHES "[.]py$")
    add_test(NAME integration_${name} COMMAND /usr/bin/python3 ${t} $<TARGET_FILE:porten>)
  else()
    add_test(NAME integration_${name} COMMAND bash ${t} $<TARGET_FILE:porten>)
  endif()
  set_tests_properties(integration_${name} PROPERTIES LABELS integration TIMEOUT 600)
endforeach()
# The scripts that start `porten authz` or `porten freg` themselves (not `porten up`, whose
# sandbox is SQLite by design) run again on PostgreSQL.
foreach(name test_independent_jwt.py)
  string(REGEX REPLACE "[.]" "_" tname ${name})
  add_test(NAME pg_${tname} COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/integration/${name}
           $<TARGET_FILE:porten>)
  set_tests_properties(pg_${tname} PROPERTIES LABELS pg TIMEOUT 600 SKIP_RETURN_CODE 77
                       ENVIRONMENT PORTEN_TEST_BACKEND=postgresql)
endforeach()

include(${CMAKE_SOURCE_DIR}/cmake/tests_pg_freg.cmake)

file(GLOB fuzzers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(f IN LISTS fuzzers)
  get_filename_component(name ${f} NAME_WE)
  add_executable(replay_${name} ${f} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.c)
  target_include_directories(replay_${name} PRIVATE ${CMAKE_SOURCE_DIR}/lib)
  target_link_libraries(replay_${name} PRIVATE porten_core)
  add_test(NAME fuzz_replay_${name}
           COMMAND replay_${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS fuzz TIMEOUT 300)
  if(PORTEN_FUZZ)
    add_executable(${name} ${f})
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/lib)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE porten_core)
  endif()
endforeach()
