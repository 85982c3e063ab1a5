/* THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §3, after
 * jwz's threading): containers linked by References, dummies pruned,
 * roots grouped by base subject, siblings ordered by sent date (then
 * mailbox order). Invariant: parent, child and next links stay consistent
 * and acyclic; every message is in exactly one container.
 * Nothing recurses: References chains can nest as deep as they like.
 * XXX: linking a node that has children walks up to refuse a cycle:
 * O(depth) for messages that arrive before their parents. */
#include "imap/imap_thread.h"

#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct node {
	int msg; /* index in msgs, or -1 for a dummy container */
	struct node *parent, *child, *next; /* parent NULL: a root */
	struct node *all_next;
	time_t date; /* sort key: own, or the first child's for a dummy */
	size_t order;
	size_t root_index;
};

struct hash_entry {
	const char *key;
	struct node *node;
	struct hash_entry *next;
};

struct thread_ctx {
	const struct imap_thread_msg *msgs;
	size_t count;
	struct pool *pool;
	struct hash_entry **buckets;
	size_t bucket_count;
	struct node *all; /* every container, for collecting the roots */
	struct node root; /* from step (2): the root set is root's children */
};

int imap_thread_algorithm_parse(const struct imap_arg *arg,
                                enum imap_thread_algorithm *algorithm_r)
{
	if (imap_arg_atom_equals(arg, "REFERENCES"))
		*algorithm_r = IMAP_THREAD_REFERENCES;
	else if (imap_arg_atom_equals(arg, "ORDEREDSUBJECT"))
		*algorithm_r = IMAP_THREAD_ORDEREDSUBJECT;
	else
		return -1;
	return 0;
}

/* ---- Tables of strings --------------------------------------------- */

static void hash_init(struct thread_ctx *t, size_t expect)
{
	t->bucket_count = 16;
	while (t->bucket_count < expect * 2)
		t->bucket_count *= 2;
	t->buckets = pool_alloc(t->pool, t->bucket_count * sizeof(*t->buckets));
}

/* Returns the entry of key, adding one (node NULL) if it is missing. */
static struct hash_entry *hash_get(struct thread_ctx *t, const char *key,
                                   bool is_casemap)
{
	uint32_t h = 2166136261u;
	for (const char *p = key; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (is_casemap && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	struct hash_entry **e = &t->buckets[h & (t->bucket_count - 1)];
	for (; *e != NULL; e = &(*e)->next)
		if ((is_casemap ? strcasecmp((*e)->key, key)
		                : strcmp((*e)->key, key)) == 0)
			return *e;
	*e = pool_alloc(t->pool, sizeof(**e));
	(*e)->key = key;
	return *e;
}

/* msg-id = "<" id-left "@" id-right ">": the next one in *p (white space
 * inside dropped), from pool, or NULL when none is left. */
static const char *msgid_next(struct pool *pool, const char **p)
{
	while (*p != NULL && **p != '\0') {
		const char *lt = strchr(*p, '<'), *gt;
		if (lt == NULL || (gt = strchr(lt + 1, '>')) == NULL) {
			*p = NULL;
			return NULL;
		}
		*p = gt + 1;
		char *id = pool_alloc(pool, (size_t)(gt - lt)), *w = id;
		for (const char *s = lt + 1; s < gt; s++)
			if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
				*w++ = *s;
		if (w != id)
			return id;
	}
	return NULL;
}

/* ---- Links --------------------------------------------------------- */

static struct node *node_new(struct thread_ctx *t, int msg)
{
	struct node *n = pool_alloc(t->pool, sizeof(*n));
	n->msg = msg;
	n->all_next = t->all;
	t->all = n;
	return n;
}

static void node_unlink(struct node *n)
{
	if (n->parent == NULL)
		return;
	struct node **pp = &n->parent->child;
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->next = NULL;
	n->parent = NULL;
}

/* Makes child (unlinked first) the first child of parent: O(1), as
 * siblings are sorted by date before anything reads their order. */
static void node_link(struct node *parent, struct node *child)
{
	node_unlink(child);
	child->next = parent->child;
	parent->child = child;
	child->parent = parent;
}

/* Returns true if linking child under parent would make a cycle: child is
 * parent or one of its ancestors. A childless node is nobody's ancestor,
 * so a chain growing at its end costs nothing to check. */
static bool node_would_loop(const struct node *child, const struct node *parent)
{
	if (child == parent)
		return true;
	if (child->child == NULL)
		return false;
	for (; parent != NULL; parent = parent->parent)
		if (parent == child)
			return true;
	return false;
}

static struct node *id_node(struct thread_ctx *t, const char *id)
{
	struct hash_entry *e = hash_get(t, id, false);
	if (e->node == NULL)
		e->node = node_new(t, -1);
	return e->node;
}

/* Step (1) for message i: its container, the References chain, and its
 * parent. */
static void thread_add(struct thread_ctx *t, size_t i)
{
	const struct imap_thread_msg *m = &t->msgs[i];
	const char *p = m->message_id;
	const char *id = msgid_next(t->pool, &p);
	struct hash_entry *e = id != NULL ? hash_get(t, id, false) : NULL;
	struct node *self;
	if (e != NULL && e->node != NULL && e->node->msg < 0)
		self = e->node; /* referenced before: fill the dummy */
	else if (e != NULL && e->node == NULL)
		self = e->node = node_new(t, -1);
	else
		self = node_new(t, -1); /* no ID, or a duplicate: unique */
	self->msg = (int)i;

	struct node *prev = NULL;
	p = m->references;
	const char *ref = msgid_next(t->pool, &p);
	if (ref == NULL) { /* In-Reply-To's first ID stands in */
		p = m->in_reply_to;
		ref = msgid_next(t->pool, &p);
		p = NULL;
	}
	for (; ref != NULL; ref = msgid_next(t->pool, &p)) {
		struct node *n = id_node(t, ref);
		/* (1)(B): link unless already linked or it makes a loop */
		if (prev != NULL && n->parent == NULL &&
		    !node_would_loop(n, prev))
			node_link(prev, n);
		prev = n;
	}
	/* (1)(C): the last reference is the parent, whatever came before */
	if (prev != NULL && !node_would_loop(self, prev))
		node_link(prev, self);
	else if (prev == NULL)
		node_unlink(self);
}

/* Step (2): the containers without a parent form the root set. */
static void thread_roots(struct thread_ctx *t)
{
	for (struct node *n = t->all; n != NULL; n = n->all_next) {
		if (n->parent != NULL)
			continue;
		n->parent = &t->root;
		n->next = t->root.child;
		t->root.child = n;
	}
}

typedef void thread_node_fn(struct thread_ctx *t, struct node *n);

/* Calls fn on top and every node under it, each after all of its
 * descendants (reverse breadth-first order), without recursion. */
static void thread_walk_up(struct thread_ctx *t, struct node *top,
                           thread_node_fn *fn)
{
	size_t count = 1, cap = 64;
	struct node **v = xmalloc(cap * sizeof(*v));
	v[0] = top;
	for (size_t i = 0; i < count; i++)
		for (struct node *c = v[i]->child; c != NULL; c = c->next) {
			if (count == cap) {
				cap *= 2;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[count++] = c;
		}
	while (count > 0)
		fn(t, v[--count]);
	free(v);
}

/* Step (4) for parent's children (their own children are done): drops
 * empty dummies and promotes the children of the others, at the root only
 * when there is a single child. */
static void thread_prune(struct thread_ctx *t, struct node *parent)
{
	struct node **pp = &parent->child;
	while (*pp != NULL) {
		struct node *n = *pp;
		if (n->msg < 0 && n->child == NULL) {
			*pp = n->next;
			continue;
		}
		if (n->msg < 0 &&
		    (parent != &t->root || n->child->next == NULL)) {
			struct node *last = n->child;
			for (struct node *c = n->child; c != NULL;
			     c = c->next) {
				c->parent = parent;
				last = c;
			}
			last->next = n->next;
			*pp = n->child;
			pp = &last->next; /* the promoted ones are pruned */
			continue;
		}
		pp = &n->next;
	}
}

/* ---- Ordering ------------------------------------------------------ */

static int node_cmp(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts parent's children by date (their keys are set) and sets parent's
 * own sort key. */
static void thread_sort(struct thread_ctx *t, struct node *parent)
{
	size_t n = 0;
	for (struct node *c = parent->child; c != NULL; c = c->next)
		n++;
	if (n > 1) {
		struct node **v = pool_alloc(t->pool, n * sizeof(*v)), *c;
		size_t i = 0;
		for (c = parent->child; c != NULL; c = c->next)
			v[i++] = c;
		qsort(v, n, sizeof(*v), node_cmp);
		for (i = 0; i + 1 < n; i++)
			v[i]->next = v[i + 1];
		v[n - 1]->next = NULL;
		parent->child = v[0];
	}
	if (parent->msg >= 0) {
		parent->date = t->msgs[parent->msg].date;
		parent->order = (size_t)parent->msg;
	} else if (parent->child != NULL) {
		parent->date = parent->child->date;
		parent->order = parent->child->order;
	}
}

/* ---- Grouping by subject, step (6) ----------------------------------- */

static const struct imap_thread_msg *node_msg(const struct thread_ctx *t,
                                              const struct node *n)
{
	return &t->msgs[n->msg >= 0 ? n->msg : n->child->msg];
}

/* Merges root this into c (both in the root set at v[ci], v[ti]). */
static void thread_merge(struct thread_ctx *t, struct node **v, size_t ci,
                         size_t ti, struct hash_entry *e)
{
	struct node *c = v[ci], *this = v[ti], *keep = c;
	bool c_reply = node_msg(t, c)->is_reply;
	bool this_reply = node_msg(t, this)->is_reply;
	if (c->msg < 0 && this->msg < 0) {
		while (this->child != NULL)
			node_link(c, this->child);
	} else if (c->msg < 0) {
		node_link(c, this);
	} else if (this->msg < 0) {
		node_link(this, c);
		keep = this;
	} else if (!c_reply && this_reply) {
		node_link(c, this);
	} else if (c_reply && !this_reply) {
		node_link(this, c);
		keep = this;
	} else {
		keep = pool_alloc(t->pool, sizeof(*keep));
		keep->msg = -1;
		node_link(keep, c);
		node_link(keep, this);
	}
	v[ci] = keep;
	v[ti] = NULL;
	keep->root_index = ci;
	e->node = keep;
}

/* Steps (5) and (6): the root set sorted by date, then grouped by base
 * subject. Returns the roots (NULL entries were merged away) in *n_r. */
static struct node **thread_group(struct thread_ctx *t, size_t *n_r)
{
	size_t n = 0;
	for (struct node *c = t->root.child; c != NULL; c = c->next)
		n++;
	struct node **v = pool_alloc(t->pool, (n + 1) * sizeof(*v));
	n = 0;
	for (struct node *c = t->root.child; c != NULL; c = c->next)
		v[n++] = c;
	qsort(v, n, sizeof(*v), node_cmp);
	hash_init(t, n);
	for (size_t i = 0; i < n; i++) { /* detach: merging relinks them */
		v[i]->parent = v[i]->next = NULL;
		v[i]->root_index = i;
		const struct imap_thread_msg *m = node_msg(t, v[i]);
		if (m->subject[0] == '\0')
			continue;
		struct hash_entry *e = hash_get(t, m->subject, true);
		if (e->node == NULL || (v[i]->msg < 0 && e->node->msg >= 0) ||
		    (node_msg(t, e->node)->is_reply && !m->is_reply))
			e->node = v[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		const struct imap_thread_msg *m = node_msg(t, v[i]);
		if (m->subject[0] == '\0')
			continue;
		struct hash_entry *e = hash_get(t, m->subject, true);
		if (e->node != v[i])
			thread_merge(t, v, e->node->root_index, i, e);
	}
	*n_r = n;
	return v;
}

/* ---- Writing ------------------------------------------------------- */

/* Appends the members of a thread from n: its chain of single children,
 * and returns the node whose children (two or more, or any for a dummy)
 * are written as nested lists, or NULL. */
static const struct node *thread_write_chain(const struct thread_ctx *t,
                                             const struct node *n,
                                             struct buf *out)
{
	while (n->msg >= 0) {
		buf_printf(out, "%u", t->msgs[n->msg].id);
		if (n->child == NULL)
			return NULL;
		buf_append_char(out, ' ');
		if (n->child->next != NULL)
			return n;
		n = n->child;
	}
	return n;
}

/* thread-list    = "(" (thread-members / thread-nested) ")"
 * thread-members = nz-number *(SP nz-number) [SP thread-nested]
 * thread-nested  = 2*thread-list
 * Written with an explicit stack (NULL entries close a list). */
static void thread_write_roots(const struct thread_ctx *t, struct node **v,
                               size_t n, struct buf *out)
{
	size_t count = 0, cap = 64;
	const struct node **stack = xmalloc(cap * sizeof(*stack));
	for (size_t i = n; i > 0; i--)
		if (v[i - 1] != NULL) {
			if (count == cap) {
				cap *= 2;
				stack = xrealloc(stack, cap * sizeof(*stack));
			}
			stack[count++] = v[i - 1];
		}
	while (count > 0) {
		const struct node *x = stack[--count];
		if (x == NULL) {
			buf_append_char(out, ')');
			continue;
		}
		buf_append_char(out, '(');
		x = thread_write_chain(t, x, out);
		size_t kids = 1;
		for (const struct node *c = x != NULL ? x->child : NULL;
		     c != NULL; c = c->next)
			kids++;
		if (count + kids > cap) {
			cap = (count + kids) * 2;
			stack = xrealloc(stack, cap * sizeof(*stack));
		}
		stack[count++] = NULL;
		/* children pushed last first, so they come out in order */
		size_t end = count + kids - 1, i = end;
		for (const struct node *c = x != NULL ? x->child : NULL;
		     c != NULL; c = c->next)
			stack[--i] = c;
		count = end;
	}
	free(stack);
}

static int subject_cmp(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;
	return x->root_index < y->root_index ? -1
	                                     : x->root_index > y->root_index;
}

/* ORDEREDSUBJECT: by base subject, then date; the first of each subject
 * is the parent of the rest; threads in the order of their first date. */
static void thread_ordered_subject(struct thread_ctx *t, struct buf *out)
{
	struct node **v = pool_alloc(t->pool, t->count * sizeof(*v));
	for (size_t i = 0; i < t->count; i++)
		v[i] = node_new(t, (int)i);
	for (size_t i = 0; i < t->count; i++)
		thread_sort(t, v[i]);
	qsort(v, t->count, sizeof(*v), node_cmp);
	/* group: root_index becomes the rank of the subject's first date */
	hash_init(t, t->count);
	for (size_t i = 0; i < t->count; i++) {
		struct hash_entry *e =
		    hash_get(t, t->msgs[v[i]->msg].subject, true);
		if (e->node == NULL) {
			e->node = v[i];
			v[i]->root_index = i;
		} else {
			node_link(e->node, v[i]);
			v[i]->root_index = t->count; /* not a root */
		}
	}
	for (size_t i = 0; i < t->count; i++)
		if (v[i]->child != NULL)
			thread_sort(t, v[i]);
	qsort(v, t->count, sizeof(*v), subject_cmp);
	size_t roots = 0;
	while (roots < t->count && v[roots]->root_index < t->count)
		roots++;
	thread_write_roots(t, v, roots, out);
}

void imap_thread_write(const struct imap_thread_msg *msgs, size_t count,
                       enum imap_thread_algorithm algorithm, struct buf *out)
{
	if (count == 0)
		return;
	struct thread_ctx t = {.msgs = msgs, .count = count};
	t.pool = pool_new();
	t.root.msg = -1;
	if (algorithm == IMAP_THREAD_ORDEREDSUBJECT) {
		thread_ordered_subject(&t, out);
		pool_free(&t.pool);
		return;
	}
	hash_init(&t, count * 4);
	for (size_t i = 0; i < count; i++)
		thread_add(&t, i);
	thread_roots(&t);
	thread_walk_up(&t, &t.root, thread_prune);
	thread_walk_up(&t, &t.root, thread_sort);
	size_t n;
	struct node **v = thread_group(&t, &n);
	for (size_t i = 0; i < n; i++)
		if (v[i] != NULL)
			thread_walk_up(&t, v[i], thread_sort);
	thread_write_roots(&t, v, n, out);
	pool_free(&t.pool);
}
