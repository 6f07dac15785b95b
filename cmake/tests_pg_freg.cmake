# The register's PostgreSQL tests, label "pg" (issue 7, freg part). Each needs the URI of
# a test cluster in PORTEN_TEST_PG (bash scripts/pg-cluster.sh start DIR prints one) and
# creates and drops its own database there; without it they exit 77 and ctest reports
# them as skipped.
#   - the register's unit tests again, on PostgreSQL (tests/unit/freg/test_register.c --pg)
#   - the search unit tests again, on PostgreSQL (tests/unit/freg/test_search.c --pg)
# Included from cmake/tests.cmake (after the unit and harness targets exist).
if(TARGET unit_freg_test_register)
  add_test(NAME pg_freg_register COMMAND unit_freg_test_register --pg)
  set_tests_properties(pg_freg_register PROPERTIES LABELS pg TIMEOUT 600 SKIP_RETURN_CODE 77)
endif()
if(TARGET unit_freg_test_search)
  add_test(NAME pg_freg_search COMMAND unit_freg_test_search --pg)
  set_tests_properties(pg_freg_search PROPERTIES LABELS pg TIMEOUT 600 SKIP_RETURN_CODE 77)
endif()
# tests/pg/test_*.c are registered by cmake/tests.cmake.
