/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fields of the run document, named once.
 *
 * A field that one tool writes and another reads is spelled here, and
 * both the writer and the reader use the name from here: a writer that
 * renames its key breaks the build of its readers instead of the
 * hand-off. GF_SECTION_* name the top-level sections, GF_FIELD_* the
 * keys inside them, GF_DOC_* the dotted paths (gf_doc_path(), the
 * ".doc" of an option table) built from both.
 *
 * gf_section_fields() is the table of every documented field of every
 * section, the one list gf(7) is checked against (tests/sh/t-section.sh):
 * a field a tool writes that is not in the table, or that gf(7) does
 * not name, fails the test.
 *
 * Conventions of the document (gf(7)): times are unix seconds unless
 * the table says GF_FIELD_RFC3339; paths are absolute (GF_FIELD_PATH)
 * unless the table says GF_FIELD_RELPATH, relative to a directory its
 * meaning names.
 */
#ifndef GF_SECTION_H
#define GF_SECTION_H

#include <stddef.h>

/* The sections. */
#define GF_SECTION_GF		"gf"
#define GF_SECTION_RUN		"run"
#define GF_SECTION_HOSTS	"hosts"
#define GF_SECTION_PROVISION	"provision"
#define GF_SECTION_CLEANUP	"cleanup"
#define GF_SECTION_CLUSTER	"cluster"
#define GF_SECTION_STACK	"stack"
#define GF_SECTION_WINDOWS	"windows"
#define GF_SECTION_STRESS	"stress"
#define GF_SECTION_TRAIN	"train"
#define GF_SECTION_VALIDATE	"validate"
#define GF_SECTION_SNAPSHOT	"snapshot"
#define GF_SECTION_COMMIT	"commit"
#define GF_SECTION_STEPS	"steps"

/*
 * run: written by the first tool (gf_doc_ensure_run); read by gf-commit
 * (the layout's {date}, {run}, {tag}), gf-validate (the report's tag)
 * and gf-provision.
 */
#define GF_FIELD_RUN_ID		"id"
#define GF_FIELD_RUN_START	"start"		/* RFC 3339 */
#define GF_FIELD_RUN_LABELS	"labels"
#define GF_FIELD_LABELS_TAG	"tag"
#define GF_DOC_RUN_ID		GF_SECTION_RUN "." GF_FIELD_RUN_ID
#define GF_DOC_RUN_START	GF_SECTION_RUN "." GF_FIELD_RUN_START
#define GF_DOC_RUN_LABELS_TAG \
	GF_SECTION_RUN "." GF_FIELD_RUN_LABELS "." GF_FIELD_LABELS_TAG

/*
 * hosts[]: written by gf-provision (a provider and gf_hostinfo); read by
 * gf_host_from_json() (gf-kepler-install, gf-provision down), gf-stress
 * and gf-validate (the report's machine specs).
 */
#define GF_FIELD_HOST_NAME		"name"
#define GF_FIELD_HOST_ADDRESS		"address"
#define GF_FIELD_HOST_ADDRESSES		"addresses"
#define GF_FIELD_HOST_CONNECTION	"connection"
/* How an ssh host is reached (gf_host.h; the ssh provider writes them). */
#define GF_FIELD_HOST_USER		"user"
#define GF_FIELD_HOST_PORT		"port"
#define GF_FIELD_HOST_KEY		"key"
#define GF_FIELD_HOST_KEY_PASSPHRASE_ENV "key_passphrase_env"
#define GF_FIELD_HOST_KNOWN_HOSTS	"known_hosts"
#define GF_FIELD_HOST_KEY_SHA256	"host_key_sha256"
#define GF_FIELD_HOST_KEY_TOFU		"host_key_tofu"
#define GF_FIELD_HOST_SUDO		"sudo"
#define GF_FIELD_HOST_CONNECT_TIMEOUT	"connect_timeout"
#define GF_FIELD_HOST_KEEPALIVE		"keepalive"
#define GF_FIELD_HOST_PROVIDER		"provider"
#define GF_FIELD_HOST_PROVIDER_ID	"provider_id"
#define GF_FIELD_HOST_ROLES		"roles"
#define GF_FIELD_HOST_ARCH		"arch"
#define GF_FIELD_HOST_KERNEL		"kernel"
#define GF_FIELD_HOST_OS		"os"
#define GF_FIELD_HOST_CPU_MODEL		"cpu_model"
#define GF_FIELD_HOST_CORES		"cores"
#define GF_FIELD_HOST_MEMORY_BYTES	"memory_bytes"
#define GF_FIELD_HOST_RAPL		"rapl"
/* ssh: seconds the host's clock is ahead of the runner's. */
#define GF_FIELD_HOST_CLOCK_OFFSET	"clock_offset"
/* The RAPL check (hosts[].rapl, stack.power.availability). */
#define GF_FIELD_RAPL_PATH		"path"
#define GF_FIELD_RAPL_PRESENT		"present"
#define GF_FIELD_RAPL_READABLE		"readable"

/* provision: gf-provision up writes it, gf-provision down reads it. */
#define GF_FIELD_PROVISION_PROVIDER	"provider"
#define GF_FIELD_PROVISION_INVENTORY	"inventory"
#define GF_DOC_PROVISION_PROVIDER \
	GF_SECTION_PROVISION "." GF_FIELD_PROVISION_PROVIDER

/*
 * cleanup[]: written by the tool that acquired the resource
 * (gf-kepler-install: kind "stack"; a provider); read and marked
 * released by gf-provision down (gf_cleanup), by gf-kepler-install --stop
 * and by the state file (gf_doc_save keeps what is not released).
 */
#define GF_FIELD_CLEANUP_KIND		"kind"
#define GF_FIELD_CLEANUP_TOOL		"tool"
#define GF_FIELD_CLEANUP_PROVIDER	"provider"
#define GF_FIELD_CLEANUP_STATE_DIR	"state_dir"
#define GF_FIELD_CLEANUP_HOST		"host"
#define GF_FIELD_CLEANUP_RELEASED	"released"	/* RFC 3339 */
/* The entry's identity when it is completed after being saved. */
#define GF_FIELD_CLEANUP_ID		"id"
/* aws instances */
#define GF_FIELD_CLEANUP_RUN		"run"
#define GF_FIELD_CLEANUP_CLIENT_TOKEN	"client_token"
#define GF_FIELD_CLEANUP_REGION		"region"
#define GF_FIELD_CLEANUP_ENDPOINT	"endpoint"
#define GF_FIELD_CLEANUP_DEADLINE	"deadline"	/* RFC 3339 */
#define GF_FIELD_CLEANUP_INSTANCES	"instances"
#define GF_FIELD_CLEANUP_TERMINATED	"terminated"
#define GF_FIELD_CLEANUP_KEY_NAME	"key_name"
#define GF_CLEANUP_KIND_STACK		"stack"

/*
 * stack: written by gf-kepler-install; stack.prometheus.url read by
 * gf-train, gf-validate and gf-snapshot, its data_dir by gf-snapshot,
 * stack.kepler.version by gf-commit (the layout's {tag}).
 */
#define GF_FIELD_STACK_STATE_DIR	"state_dir"
#define GF_FIELD_STACK_PROMETHEUS	"prometheus"
#define GF_FIELD_STACK_KEPLER		"kepler"
#define GF_FIELD_COMPONENT_URL		"url"
#define GF_FIELD_COMPONENT_DATA_DIR	"data_dir"
#define GF_FIELD_COMPONENT_VERSION	"version"
#define GF_DOC_STACK_STATE_DIR GF_SECTION_STACK "." GF_FIELD_STACK_STATE_DIR
#define GF_DOC_STACK_PROMETHEUS_URL GF_SECTION_STACK "." \
	GF_FIELD_STACK_PROMETHEUS "." GF_FIELD_COMPONENT_URL
#define GF_DOC_STACK_PROMETHEUS_HOST GF_SECTION_STACK "." \
	GF_FIELD_STACK_PROMETHEUS ".host"
#define GF_DOC_STACK_PROMETHEUS_DATA_DIR GF_SECTION_STACK "." \
	GF_FIELD_STACK_PROMETHEUS "." GF_FIELD_COMPONENT_DATA_DIR
#define GF_DOC_STACK_KEPLER_VERSION GF_SECTION_STACK "." \
	GF_FIELD_STACK_KEPLER "." GF_FIELD_COMPONENT_VERSION

/*
 * train: written by gf-train; out read by gf-commit (the model tree it
 * publishes), model by gf-commit (the layout's {model}).
 */
#define GF_FIELD_TRAIN_OUT	"out"
#define GF_FIELD_TRAIN_MODEL	"model"
#define GF_DOC_TRAIN_MODEL	GF_SECTION_TRAIN "." GF_FIELD_TRAIN_MODEL

/* validate: written by gf-validate; the files read by gf-commit. */
#define GF_FIELD_VALIDATE_OUT		"out"
#define GF_FIELD_VALIDATE_REPORT	"report"
#define GF_FIELD_VALIDATE_JSON		"json"

/* snapshot: written by gf-snapshot; the archive read by gf-commit. */
#define GF_FIELD_SNAPSHOT_ARCHIVE	"archive"

/* windows[] are read and written through gf_window.h. */

enum gf_field_type {
	GF_FIELD_STRING,
	GF_FIELD_NUMBER,
	GF_FIELD_INTEGER,
	GF_FIELD_BOOLEAN,
	GF_FIELD_OBJECT,
	GF_FIELD_ARRAY,
	GF_FIELD_TIME,		/* unix seconds, a number */
	GF_FIELD_RFC3339,	/* a time as an RFC 3339 string in UTC */
	GF_FIELD_PATH,		/* an absolute path */
	GF_FIELD_RELPATH,	/* relative to a directory the meaning names */
	GF_FIELD_ANY,		/* a value whose type depends on the entry */
};

/*
 * One documented field. name is the key in its section, or a dotted
 * path below it; "[]" marks the entries of an array ("models[].files").
 * Every field may also be null (an unknown value).
 */
struct gf_section_field {
	const char *section;
	const char *name;
	enum gf_field_type type;
	const char *meaning;	/* one line */
};

/* The table, in gf(7)'s order of sections. Static; *n gets its length. */
const struct gf_section_field *gf_section_fields(size_t *n);

/* "string", "time", "path", ...: the type's name in the table's dump. */
const char *gf_section_type_name(enum gf_field_type type);

/*
 * A path as the document holds it: absolute, the current directory
 * joined to a relative one (lexically: "./x" and "." are tidied, ".."
 * and symbolic links are left alone). Returns a new string.
 */
char *gf_section_path(const char *path);

#endif
