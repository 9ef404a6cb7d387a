/* The history tree from the block index: the root each header commits to
 * and the subtree hashes the entries keep, checked against the plain
 * RFC 6962 tree over the leaves of the same chain, on the best chain and a
 * fork, before and after the index is loaded again from the store. */
#include "chain_fixture.h"

#include "chain/history.h"

static struct fixture *F;

static int setup(void **state)
{
	(void)state;
	F = fix_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_free(F);
	return 0;
}

/* The leaf hashes of blocks 0..last->height of last's chain. */
static uint8_t (*chain_leaves(struct block_index *last))[32]
{
	size_t n = (size_t)last->height + 1;
	uint8_t (*leaves)[32] = malloc(n * 32);
	assert_non_null(leaves);
	for (struct block_index *x = last; x; x = x->prev)
		history_leaf(leaves[x->height], x);
	return leaves;
}

/* Every root and sampled path of last's chain against the flat tree. */
static void check_chain(struct block_index *last)
{
	uint8_t (*leaves)[32] = chain_leaves(last), root[32], want[32];
	uint8_t path[MERKLE_MAX_PATH][32], flat[MERKLE_MAX_PATH][32];
	size_t len, flat_len;
	for (struct block_index *x = last; x; x = x->prev) {
		size_t n = (size_t)x->height + 1;
		assert_int_equal(history_root(root, x), 0);
		merkle_root_hashed(want, (const uint8_t (*)[32])leaves, n);
		assert_memory_equal(root, want, 32);
		/* what the child of x carries, when it is on this chain */
		struct block_index *child = x == last ? NULL : index_ancestor(last, x->height + 1);
		if (child)
			assert_memory_equal(child->header.history, root, 32);
		for (size_t i = 0; i < n; i += 1 + n / 7) {
			assert_int_equal(merkle_path_cb(path, &len, MERKLE_MAX_PATH, n, i, history_subtree, x), 0);
			assert_int_equal(merkle_path_hashed(flat, &flat_len, MERKLE_MAX_PATH,
							    (const uint8_t (*)[32])leaves, n, i), 0);
			assert_int_equal(len, flat_len);
			assert_memory_equal(path, flat, len * 32);
		}
	}
	free(leaves);
}

static void test_history(void **state)
{
	(void)state;
	char err[ERR_LEN];
	fix_mine(F, 140, 0);
	struct block_index *fork_at = chainstate_at(F->cs, 100);
	/* a fork of 45 blocks from height 100, longer: the best chain moves */
	struct block_index *prev = fork_at;
	for (int i = 0; i < 45; i++) {
		struct block b;
		struct verdict v;
		fix_block_on(F, &b, prev, NULL, 0, 0, 1);
		verdict_init(&v);
		chainstate_accept_block(F->cs, &b, F->time + 3600, SOURCE_RPC, NULL, &v);
		assert_string_equal(v.reason, "");
		prev = chainstate_lookup(F->cs, b.hash);
		block_release(&b);
	}
	assert_ptr_equal(chainstate_tip(F->cs), prev);
	struct block_index *old_tip = NULL;
	for (size_t it = 0; (old_tip = chainstate_next(F->cs, &it));)
		if (old_tip->height == 140 && index_ancestor(prev, 140) != old_tip)
			break;
	assert_non_null(old_tip);
	check_chain(prev);
	check_chain(old_tip);
	/* the entries' subtrees are computed again when the index is loaded */
	uint8_t tip_hash[32], side_hash[32];
	memcpy(tip_hash, prev->hash, 32);
	memcpy(side_hash, old_tip->hash, 32);
	chainstate_close(F->cs);
	fix_open(F);
	check_chain(chainstate_lookup(F->cs, tip_hash));
	check_chain(chainstate_lookup(F->cs, side_hash));
	/* and a reorganisation back by invalidation changes none of them */
	assert_int_equal(chainstate_invalidate(F->cs, chainstate_at(F->cs, 101), err), 0);
	fix_mine(F, 3, 2);
	check_chain(chainstate_tip(F->cs));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
