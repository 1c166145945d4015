/*
 * Limits of the protocol (fleet protocol v1, src/fleet/messages.ts and
 * chunk.ts) and of this device core. Every buffer of the core is static and
 * sized here; a board overrides the TM_* defaults with -D flags.
 */
#ifndef TM_CONFIG_H_
#define TM_CONFIG_H_

/* ---- fixed by protocol v1 ----------------------------------------------- */
#define TM_PROTOCOL_VERSION 1
#define TM_CHUNK_VERSION 1
#define TM_CHUNK_HEADER_BYTES 16
#define TM_MAX_MANIFEST_BYTES 4096 /* messages.ts MAX_MANIFEST_BYTES */
#define TM_SIGNATURE_BYTES 64
#define TM_MAX_MISSING 32 /* messages.ts MAX_MISSING */
#define TM_NAME_CODEPOINTS 128
#define TM_VERSION_CODEPOINTS 64
#define TM_ERROR_CHARS 1024
#define TM_ID_MAX 64

/* ---- this core's budgets -------------------------------------------------- */

/*
 * Chunks one transfer may have (manifest section + model): the received-chunk
 * bitmap takes TM_MAX_CHUNKS / 8 bytes. 8192 chunks cover a 1.5 MB model in
 * the 192-byte chunks of a 256-byte packet limit.
 */
#ifndef TM_MAX_CHUNKS
#define TM_MAX_CHUNKS 8192
#endif

/* Largest message the device publishes (status, progress, reply, result). */
#ifndef TM_OUT_MAX
#define TM_OUT_MAX 2048
#endif

/* Longest topic: prefix + "devices/" + id + "/progress", or the fan-out topic. */
#ifndef TM_TOPIC_MAX
#define TM_TOPIC_MAX 192
#endif

/* Ops the device registers (announced in caps.ops). */
#ifndef TM_MAX_OPS
#define TM_MAX_OPS 128
#endif

/* Final reports kept (and saved) to answer a repeated offer for a finished transfer
   (src/device/store.ts FINISHED_KEPT is 8). */
#ifndef TM_FINISHED_KEPT
#define TM_FINISHED_KEPT 8
#endif

/* Bytes of an error text the device keeps and reports (the schema allows 1024). */
#ifndef TM_ERROR_MAX
#define TM_ERROR_MAX 200
#endif

/* The manifest's label list kept per slot, as JSON text (top label of a result). */
#ifndef TM_LABELS_MAX
#define TM_LABELS_MAX 1024
#endif

/* Input values of one inference (float: exact for int8, int16 and float32 inputs). */
#ifndef TM_MAX_INPUT_VALUES
#define TM_MAX_INPUT_VALUES 1024
#endif

/* Model inputs and outputs a result can carry. */
#ifndef TM_MAX_TENSORS
#define TM_MAX_TENSORS 8
#endif

/*
 * An unfinished transfer's state is saved every this many progress reports
 * (and whenever manifest bytes arrived). 1 resumes exactly; a larger value
 * spares flash wear (NVS rewrites its pages) at the cost of re-receiving up
 * to N x ackEvery chunks after a power cut.
 */
#ifndef TM_SAVE_EVERY_REPORTS
#define TM_SAVE_EVERY_REPORTS 1
#endif

/* Bytes read from flash at a time while hashing a slot. */
#ifndef TM_READ_BLOCK
#define TM_READ_BLOCK 512
#endif

/* UTF-8 bytes for a name / version of at most 128 / 64 code points. */
#define TM_NAME_BYTES (4 * TM_NAME_CODEPOINTS + 1)
#define TM_VERSION_BYTES (4 * TM_VERSION_CODEPOINTS + 1)

#endif /* TM_CONFIG_H_ */
