// ASSERT_OK(expr): the multi-process tests' assertion that a Status (or
// Result) is OK, printing the expression and the error otherwise.
#ifndef TRACELEDGER_TESTS_MULTIPROCESS_ASSERT_OK_H_
#define TRACELEDGER_TESTS_MULTIPROCESS_ASSERT_OK_H_

#include <gtest/gtest.h>

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    auto _s = (expr);                                       \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

#endif  // TRACELEDGER_TESTS_MULTIPROCESS_ASSERT_OK_H_
