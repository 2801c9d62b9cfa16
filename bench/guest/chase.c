// bench/guest/chase.c: pointer chasing: a linked list in random order over 16 MiB and a binary
// search tree of heap nodes (cache- and TLB-missing loads that depend on each other).
#include "common.h"

typedef struct Node { struct Node* next; uint64_t value; uint64_t pad[2]; } Node;
typedef struct Tree { struct Tree* left; struct Tree* right; uint64_t key; } Tree;

static Tree* tree_insert(Tree* root, Tree* node) {
  Tree** slot = &root;
  while (*slot) slot = node->key < (*slot)->key ? &(*slot)->left : &(*slot)->right;
  *slot = node;
  return root;
}

int main(int argc, char** argv) {
  long laps = bench_arg(argc, argv, 8);
  long n = 1 << 19;
  Node* nodes = malloc(n * sizeof *nodes);
  long* order = malloc(n * sizeof *order);
  for (long i = 0; i < n; i++) order[i] = i;
  for (long i = n - 1; i > 0; i--) {
    long j = (long)(bench_rand() % (uint64_t)(i + 1));
    long t = order[i]; order[i] = order[j]; order[j] = t;
  }
  for (long i = 0; i < n; i++) {
    nodes[order[i]].next = &nodes[order[(i + 1) % n]];
    nodes[order[i]].value = (uint64_t)i * 2654435761u;
  }
  uint64_t sum = 0;
  Node* p = &nodes[order[0]];
  for (long l = 0; l < laps; l++)
    for (long i = 0; i < n; i++) { sum += p->value ^ (uint64_t)l; p = p->next; }

  long tn = 100000;
  Tree* root = 0;
  Tree* pool = calloc(tn, sizeof *pool);
  for (long i = 0; i < tn; i++) { pool[i].key = bench_rand(); root = tree_insert(root, &pool[i]); }
  for (long l = 0; l < laps; l++)
    for (long i = 0; i < tn; i += 3) {
      uint64_t k = pool[(i * 7919) % tn].key;
      Tree* t = root;
      long depth = 0;
      while (t && t->key != k) { t = k < t->key ? t->left : t->right; depth++; }
      sum = bench_mix(sum, (uint64_t)depth);
    }
  bench_print("chase", sum);
  return 0;
}
