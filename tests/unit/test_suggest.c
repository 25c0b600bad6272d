/*
 * Unit tests for "did you mean" suggestions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "suggest.h"

static const char *const verbs[] = { "history", "list", "run", "shutdown",
	"status" };

#define NVERBS (sizeof verbs / sizeof verbs[0])

static void
test_suggest_catches_transposition(void **state)
{
	(void)state;
	assert_string_equal(suggest("stauts", verbs, NVERBS), "status");
}

static void
test_suggest_catches_missing_letter(void **state)
{
	static const char *const fields[] = { "command", "every" };

	(void)state;
	assert_string_equal(suggest("comand", fields, 2), "command");
	assert_string_equal(suggest("lst", verbs, NVERBS), "list");
}

static void
test_suggest_ignores_case(void **state)
{
	(void)state;
	assert_string_equal(suggest("HISTORY", verbs, NVERBS), "history");
}

static void
test_suggest_gives_nothing_for_strangers(void **state)
{
	(void)state;
	assert_null(suggest("backup", verbs, NVERBS));
	assert_null(suggest("x", verbs, NVERBS));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suggest_catches_transposition),
		cmocka_unit_test(test_suggest_catches_missing_letter),
		cmocka_unit_test(test_suggest_ignores_case),
		cmocka_unit_test(test_suggest_gives_nothing_for_strangers),
	};

	return cmocka_run_group_tests_name("suggest", tests, NULL, NULL);
}
