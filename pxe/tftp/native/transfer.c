/*
 * One TFTP read transfer on a thread of its own, in C: the data path of
 * pxe/tftp/native-transfers.ts. The server (TypeScript) still parses the
 * request, negotiates the options, opens the file and records the outcome;
 * this sends the OACK and the DATA windows and reads the ACKs, as
 * pxe/tftp/transfer.ts does, with the same rules (RFC 1350, 2347, 7440).
 *
 * Why C: in lock-step (one block per round trip, which PXE ROMs and curl
 * use), Node's fixed cost per datagram (a receive buffer and an address
 * object built for each one) is most of a round trip on loopback, and kept
 * Anvil below tftpd-hpa, which runs this same loop in a process per transfer.
 *
 * Lifetime: a transfer is shared by its thread and its JavaScript handle, and
 * freed when both let go (the thread once JavaScript has read its result).
 */
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OP_DATA 3
#define OP_ACK 4
#define OP_ERROR 5
#define ERR_NOT_DEFINED 0
#define ERR_UNKNOWN_TID 5
#define TEXT 256
#define REASON 32
#define RECV_BYTES 4096
#define SEND_BATCH 64

typedef struct {
  atomic_int refs;
  atomic_int stop_requested;
  /* Written by stop() on the JavaScript thread before stop_requested is set. */
  char stop_reason[REASON];
  char stop_message[TEXT];
  /* Wakes the thread's poll for a stop; closed (and set to -1) under `wake_lock` when the thread ends. */
  pthread_mutex_t wake_lock;
  int wake_fd;
  int sock;
  /* The file to read (its owner closes it), or -1 for `bytes`. */
  int file_fd;
  uint8_t *bytes;
  size_t bytes_len;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  uint32_t blksize;
  uint32_t windowsize;
  uint8_t *oack;
  size_t oack_len;
  int64_t base_ms;
  uint32_t max_retries;
  int64_t max_retransmit_ms;
  int64_t first_ack_ms;
  napi_threadsafe_function done;
  /* The outcome, read by JavaScript once the thread has finished. */
  uint64_t acked_bytes;
  uint32_t retransmits;
  int ok;
  char reason[REASON];
  char message[TEXT];
} transfer_t;

static void release(transfer_t *t) {
  if (atomic_fetch_sub(&t->refs, 1) != 1) return;
  pthread_mutex_destroy(&t->wake_lock);
  free(t->bytes);
  free(t->oack);
  free(t);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends are not checked: to TFTP a failed send is a lost packet, which the timers recover. */
static void send_to(transfer_t *t, const uint8_t *packet, size_t len, const struct sockaddr *to, socklen_t to_len) {
  (void)!sendto(t->sock, packet, len, 0, to, to_len);
}

static void send_error(transfer_t *t, uint16_t code, const char *text, const struct sockaddr *to, socklen_t to_len) {
  uint8_t packet[4 + TEXT];
  size_t text_len = strnlen(text, TEXT - 1);
  packet[0] = 0;
  packet[1] = OP_ERROR;
  packet[2] = (uint8_t)(code >> 8);
  packet[3] = (uint8_t)code;
  memcpy(packet + 4, text, text_len);
  packet[4 + text_len] = 0;
  send_to(t, packet, 5 + text_len, to, to_len);
}

static void finish(transfer_t *t, int ok, const char *reason, const char *message) {
  t->ok = ok;
  snprintf(t->reason, REASON, "%s", reason);
  snprintf(t->message, TEXT, "%s", message);
}

/*
 * DATA packets by block number: block b (not wrapped) in slot b % capacity.
 * The ring holds the window in flight, blocks acked + 1 to acked + count,
 * and after it the next window's, read ahead while the client works on this
 * one (as tftpd-hpa reads ahead), so a disk read is off the round trip.
 */
typedef struct {
  uint8_t *packets;
  size_t *lens;
  uint32_t capacity;
  size_t slot;
  /* Blocks in flight, from acked + 1. */
  uint32_t count;
  /* The highest block read into the ring. */
  uint64_t read_to;
} ring_t;

static uint8_t *packet_of(const ring_t *r, uint64_t block) {
  return r->packets + (block % r->capacity) * r->slot;
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* Blocks of the file read ahead in one positioned read: a syscall per chunk rather than per block. */
typedef struct {
  uint8_t *data;
  size_t size;
  size_t len;
  uint64_t offset;
} file_chunk_t;

typedef struct {
  transfer_t *t;
  ring_t r;
  file_chunk_t chunk;
  int negotiating;
  /* Blocks acknowledged so far (not wrapped: the wire carries its low 16 bits). */
  uint64_t acked;
  /* The block shorter than blksize that ends the file, once read (ahead or not); 0 until then. */
  uint64_t last;
  /* RFC 7440 §4: the window is resent at once, once, on an ACK of the block before it. */
  int64_t restarted_at;
  uint32_t attempt;
  int first_received;
  int64_t first_deadline;
  int64_t deadline;
  int ended;
} loop_t;

/* Reads up to `size` bytes at `offset` of the file; fewer only at its end. -1 with errno set on failure. */
static ssize_t read_file(int fd, uint8_t *into, size_t size, uint64_t offset) {
  size_t filled = 0;
  /* A short read is not the end of a regular file unless it reads nothing. */
  while (filled < size) {
    ssize_t n = pread(fd, into + filled, size - filled, (off_t)(offset + filled));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    filled += (size_t)n;
  }
  return (ssize_t)filled;
}

/* Reads block `block` (1-based, not wrapped) into `into`; its length, or -1 with errno set. */
static ssize_t read_block(loop_t *l, uint64_t block, uint8_t *into) {
  transfer_t *t = l->t;
  uint64_t offset = (block - 1) * (uint64_t)t->blksize;
  const uint8_t *from;
  size_t available;
  if (t->file_fd < 0) {
    from = t->bytes + (offset < t->bytes_len ? offset : t->bytes_len);
    available = offset < t->bytes_len ? t->bytes_len - offset : 0;
  } else if (l->chunk.size == 0) {
    /* Blocks too large to gain from a chunk go straight into the packet. */
    return read_file(t->file_fd, into, t->blksize, offset);
  } else {
    file_chunk_t *c = &l->chunk;
    int inside = offset >= c->offset && offset - c->offset < c->len;
    /* A chunk read short ended the file: nothing lies beyond it. */
    if (!inside || (c->len == c->size && offset - c->offset + t->blksize > c->len)) {
      ssize_t n = read_file(t->file_fd, c->data, c->size, offset);
      if (n < 0) return -1;
      c->offset = offset;
      c->len = (size_t)n;
    }
    from = c->data + (offset - c->offset);
    available = c->len - (offset - c->offset);
  }
  size_t n = available < t->blksize ? available : t->blksize;
  memcpy(into, from, n);
  return (ssize_t)n;
}

static int64_t delay_ms(const loop_t *l) {
  int64_t ms = l->t->base_ms;
  for (uint32_t i = 0; i < l->attempt && ms < l->t->max_retransmit_ms; i++) ms *= 2;
  int64_t cap = l->t->base_ms > l->t->max_retransmit_ms ? l->t->base_ms : l->t->max_retransmit_ms;
  return ms < cap ? ms : cap;
}

static void fail(loop_t *l, const char *reason, const char *message) {
  transfer_t *t = l->t;
  /* RFC 1350 §7: an ERROR ends the transfer unacknowledged, so it is sent once; not in answer to the client's own. */
  if (strcmp(reason, "client-error") != 0)
    send_error(t, ERR_NOT_DEFINED, message, (struct sockaddr *)&t->peer, t->peer_len);
  finish(t, 0, reason, message);
  l->ended = 1;
}

static void sent(loop_t *l) {
  int64_t now = now_ms();
  l->deadline = now + delay_ms(l);
  if (!l->first_received && l->first_deadline == 0) l->first_deadline = now + l->t->first_ack_ms;
}

/* Reads blocks into the ring up to `upto` (or the file's end); -1 with errno set when a read fails. */
static int read_ahead(loop_t *l, uint64_t upto) {
  ring_t *r = &l->r;
  while (r->read_to < upto && l->last == 0) {
    uint64_t block = r->read_to + 1;
    uint8_t *packet = packet_of(r, block);
    ssize_t n = read_block(l, block, packet + 4);
    if (n < 0) return -1;
    packet[0] = 0;
    packet[1] = OP_DATA;
    packet[2] = (uint8_t)(block >> 8);
    packet[3] = (uint8_t)block;
    r->lens[block % r->capacity] = 4 + (size_t)n;
    r->read_to = block;
    /* RFC 1350 §6: a block shorter than blksize (possibly empty) ends the file. */
    if ((uint32_t)n < l->t->blksize) l->last = block;
  }
  return 0;
}

static void send_window(loop_t *l) {
  transfer_t *t = l->t;
  const ring_t *r = &l->r;
  if (r->count == 1) {
    send_to(t, packet_of(r, l->acked + 1), r->lens[(l->acked + 1) % r->capacity], (struct sockaddr *)&t->peer,
            t->peer_len);
    return;
  }
  /* A window goes out in batches of one system call each (a window may hold thousands of small blocks). */
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH];
  for (uint32_t sent_blocks = 0; sent_blocks < r->count;) {
    uint32_t batch = r->count - sent_blocks < SEND_BATCH ? r->count - sent_blocks : SEND_BATCH;
    memset(msgs, 0, sizeof msgs);
    for (uint32_t i = 0; i < batch; i++) {
      uint64_t block = l->acked + 1 + sent_blocks + i;
      iov[i].iov_base = packet_of(r, block);
      iov[i].iov_len = r->lens[block % r->capacity];
      msgs[i].msg_hdr.msg_name = &t->peer;
      msgs[i].msg_hdr.msg_namelen = t->peer_len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    (void)!sendmmsg(t->sock, msgs, batch, 0);
    sent_blocks += batch;
  }
}

/* Sends the window after `acked` (windowsize blocks, or to the last one), then reads the next one ahead. */
static void next_window(loop_t *l) {
  transfer_t *t = l->t;
  ring_t *r = &l->r;
  if (read_ahead(l, l->acked + t->windowsize) != 0) {
    char message[TEXT];
    snprintf(message, TEXT, "reading the file failed: %s", strerror(errno));
    fail(l, "read-error", message);
    return;
  }
  r->count = (uint32_t)(r->read_to - l->acked);
  l->attempt = 0;
  send_window(l);
  sent(l);
  /* A failure here is met again, and reported, when the window needs the block. */
  (void)read_ahead(l, l->acked + r->count + t->windowsize);
}

static void on_ack(loop_t *l, uint16_t block) {
  transfer_t *t = l->t;
  ring_t *r = &l->r;
  if (l->negotiating) {
    if (block != 0) return;
    l->negotiating = 0;
    l->first_received = 1;
    next_window(l);
    return;
  }
  /* Block numbers wrap past 65535 (to 0, as tftp-hpa, atftp and curl expect): read relative to the window. */
  uint32_t distance = (uint16_t)(block - (uint16_t)l->acked);
  if (distance >= 1 && distance <= r->count) {
    l->first_received = 1;
    for (uint32_t i = 1; i <= distance; i++) t->acked_bytes += r->lens[(l->acked + i) % r->capacity] - 4;
    l->acked += distance;
    if (l->acked == l->last) {
      finish(t, 1, "", "");
      l->ended = 1;
      return;
    }
    /* RFC 7440 §4: after an ACK inside the window, the next window starts right after it. */
    next_window(l);
  } else if (distance == 0 && t->windowsize > 1 && l->restarted_at != (int64_t)l->acked) {
    /* The client lost the window's first block and dropped the rest. With
     * lock-step a duplicate ACK is ignored: the Sorcerer's Apprentice fix of
     * RFC 1123 §4.2.3.1. */
    l->restarted_at = (int64_t)l->acked;
    l->attempt = 0;
    send_window(l);
    sent(l);
  }
}

static void on_datagram(loop_t *l, const uint8_t *data, ssize_t len, const struct sockaddr_storage *from,
                        socklen_t from_len) {
  transfer_t *t = l->t;
  if (!same_address(from, &t->peer)) {
    /* RFC 1350 §4: a packet from another port is answered with ERROR 5 and does not disturb the transfer. */
    send_error(t, ERR_UNKNOWN_TID, "Unknown transfer ID", (const struct sockaddr *)from, from_len);
    return;
  }
  /* Anything else from the client that is not a well-formed ACK or ERROR is taken as lost. */
  if (len < 4 || data[0] != 0) return;
  if (data[1] == OP_ACK && len == 4) {
    on_ack(l, (uint16_t)(data[2] << 8 | data[3]));
  } else if (data[1] == OP_ERROR && len > 4) {
    size_t text_len = strnlen((const char *)data + 4, (size_t)len - 4);
    /* One NUL-terminated message and nothing after it, as the TypeScript decoder asks. */
    if (text_len != (size_t)len - 5) return;
    char message[TEXT];
    snprintf(message, TEXT, "client sent ERROR %u: %.*s", (unsigned)(data[2] << 8 | data[3]), (int)text_len,
             (const char *)data + 4);
    fail(l, "client-error", message);
  }
}

static void run_loop(loop_t *l) {
  transfer_t *t = l->t;
  uint8_t datagram[RECV_BYTES];
  if (t->oack != NULL) {
    l->negotiating = 1;
    send_to(t, t->oack, t->oack_len, (struct sockaddr *)&t->peer, t->peer_len);
    sent(l);
    /* The first window is read while the client answers the OACK. */
    (void)read_ahead(l, t->windowsize);
  } else {
    next_window(l);
  }
  while (!l->ended) {
    int64_t now = now_ms();
    int64_t until = l->deadline;
    if (!l->first_received && l->first_deadline < until) until = l->first_deadline;
    struct pollfd fds[2] = {{.fd = t->sock, .events = POLLIN}, {.fd = t->wake_fd, .events = POLLIN}};
    int ready = poll(fds, 2, until > now ? (int)(until - now) : 0);
    if (atomic_load(&t->stop_requested)) {
      fail(l, t->stop_reason, t->stop_message);
      return;
    }
    if (ready < 0 && errno != EINTR) {
      char message[TEXT];
      snprintf(message, TEXT, "waiting for the client failed: %s", strerror(errno));
      fail(l, "read-error", message);
      return;
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      /* One datagram per wake-up (poll answers at once while more are queued): in lock-step, a
       * second read would only find the queue empty. */
      struct sockaddr_storage from;
      socklen_t from_len = sizeof from;
      ssize_t n = recvfrom(t->sock, datagram, sizeof datagram, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
      if (n >= 0) on_datagram(l, datagram, n < RECV_BYTES ? n : RECV_BYTES, &from, from_len);
      /* The timers are still looked at: a stream of stray datagrams must not hold them off. */
      if (l->ended) return;
    }
    now = now_ms();
    if (!l->first_received && now >= l->first_deadline) {
      char message[TEXT];
      snprintf(message, TEXT, "no acknowledgement of the first packet within %lld ms", (long long)t->first_ack_ms);
      fail(l, "unacknowledged", message);
    } else if (now >= l->deadline) {
      if (l->attempt >= t->max_retries) {
        char message[TEXT];
        snprintf(message, TEXT, "no acknowledgement after %u retransmissions", l->attempt);
        fail(l, "client-timeout", message);
        return;
      }
      l->attempt++;
      t->retransmits++;
      if (l->negotiating)
        send_to(t, t->oack, t->oack_len, (struct sockaddr *)&t->peer, t->peer_len);
      else
        send_window(l);
      l->deadline = now + delay_ms(l);
    }
  }
}

static void *transfer_thread(void *arg) {
  transfer_t *t = arg;
  loop_t l = {.t = t, .restarted_at = -1};
  /* The window in flight and the next one. */
  l.r.capacity = 2 * t->windowsize;
  l.r.slot = 4 + (size_t)t->blksize;
  l.r.packets = malloc(l.r.slot * l.r.capacity);
  l.r.lens = malloc(sizeof *l.r.lens * l.r.capacity);
  /* About 64 KiB: 44 blocks of 1468 bytes; none for blocks of 32 KiB and more. */
  l.chunk.size = t->file_fd >= 0 && t->blksize < 32768 ? (size_t)t->blksize * (65536 / t->blksize) : 0;
  l.chunk.data = l.chunk.size > 0 ? malloc(l.chunk.size) : NULL;
  if (l.r.packets == NULL || l.r.lens == NULL || (l.chunk.size > 0 && l.chunk.data == NULL))
    finish(t, 0, "read-error", "out of memory for the transfer's window");
  else
    run_loop(&l);
  free(l.r.packets);
  free(l.r.lens);
  free(l.chunk.data);
  close(t->sock);
  /* Its descriptors go now, not when JavaScript collects the handle. */
  pthread_mutex_lock(&t->wake_lock);
  close(t->wake_fd);
  t->wake_fd = -1;
  pthread_mutex_unlock(&t->wake_lock);
  /* The call takes the thread's reference: JavaScript releases it once it has read the outcome. */
  if (napi_call_threadsafe_function(t->done, t, napi_tsfn_blocking) != napi_ok) release(t);
  napi_release_threadsafe_function(t->done, napi_tsfn_release);
  return NULL;
}

/* ---- JavaScript side ---- */

#define CHECK(env, call)                                                                                               \
  do {                                                                                                                 \
    if ((call) != napi_ok) {                                                                                           \
      napi_throw_error(env, NULL, "native TFTP: " #call " failed");                                                    \
      return NULL;                                                                                                     \
    }                                                                                                                  \
  } while (0)

static void deliver(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  transfer_t *t = data;
  if (env != NULL) {
    napi_value result, undefined, value;
    napi_create_object(env, &result);
    napi_get_boolean(env, t->ok, &value);
    napi_set_named_property(env, result, "ok", value);
    napi_create_string_utf8(env, t->reason, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, result, "reason", value);
    napi_create_string_utf8(env, t->message, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, result, "message", value);
    napi_create_double(env, (double)t->acked_bytes, &value);
    napi_set_named_property(env, result, "bytes", value);
    napi_create_uint32(env, t->retransmits, &value);
    napi_set_named_property(env, result, "retransmits", value);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 1, &result, NULL);
  }
  release(t);
}

static void handle_gone(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release(data);
}

static int get_number(napi_env env, napi_value object, const char *name, double *out) {
  napi_value value;
  return napi_get_named_property(env, object, name, &value) == napi_ok &&
         napi_get_value_double(env, value, out) == napi_ok;
}

static int get_text(napi_env env, napi_value object, const char *name, char *out, size_t size) {
  napi_value value;
  return napi_get_named_property(env, object, name, &value) == napi_ok &&
         napi_get_value_string_utf8(env, value, out, size, NULL) == napi_ok;
}

/* Copies an optional Uint8Array property; 1 when absent, 0 on a wrong type. */
static int get_bytes(napi_env env, napi_value object, const char *name, uint8_t **out, size_t *len) {
  napi_value value;
  napi_valuetype type;
  bool is_array;
  *out = NULL;
  *len = 0;
  if (napi_get_named_property(env, object, name, &value) != napi_ok || napi_typeof(env, value, &type) != napi_ok)
    return 0;
  if (type == napi_undefined || type == napi_null) return 1;
  if (napi_is_typedarray(env, value, &is_array) != napi_ok || !is_array) return 0;
  void *data;
  napi_typedarray_type array_type;
  if (napi_get_typedarray_info(env, value, &array_type, len, &data, NULL, NULL) != napi_ok ||
      array_type != napi_uint8_array)
    return 0;
  *out = malloc(*len > 0 ? *len : 1);
  if (*out == NULL) return 0;
  memcpy(*out, data, *len);
  return 1;
}

static int parse_address(const char *text, int port, struct sockaddr_storage *out, socklen_t *len) {
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *found;
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  if (getaddrinfo(text, service, &hints, &found) != 0) return 0;
  memcpy(out, found->ai_addr, found->ai_addrlen);
  *len = found->ai_addrlen;
  freeaddrinfo(found);
  return 1;
}

/* An IPv4 address as IPv4-mapped IPv6, for a dual-stack socket. */
static void map_to_v6(struct sockaddr_storage *address, socklen_t *len) {
  struct sockaddr_in v4 = *(struct sockaddr_in *)address;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)address;
  memset(v6, 0, sizeof *v6);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = v4.sin_port;
  v6->sin6_addr.s6_addr[10] = 0xff;
  v6->sin6_addr.s6_addr[11] = 0xff;
  memcpy(&v6->sin6_addr.s6_addr[12], &v4.sin_addr, 4);
  *len = sizeof *v6;
}

static void free_unstarted(transfer_t *t) {
  if (t->sock >= 0) close(t->sock);
  if (t->wake_fd >= 0) close(t->wake_fd);
  pthread_mutex_destroy(&t->wake_lock);
  free(t->bytes);
  free(t->oack);
  free(t);
}

/* Frees a transfer that did not start and throws `message`, with the system's reason when `error` is an errno. */
static napi_value throw_unstarted(napi_env env, transfer_t *t, const char *message, int error) {
  char text[TEXT];
  snprintf(text, TEXT, "%s%s%s", message, error != 0 ? ": " : "", error != 0 ? strerror(error) : "");
  free_unstarted(t);
  napi_throw_error(env, NULL, text);
  return NULL;
}

/*
 * start(job, done): binds the transfer's socket to job.host (a literal IP),
 * starts its thread and returns its handle. `done` is called once with
 * { ok, reason, message, bytes, retransmits }.
 */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "start(job, done)");
    return NULL;
  }
  transfer_t *t = calloc(1, sizeof *t);
  if (t == NULL) {
    napi_throw_error(env, NULL, "native TFTP: out of memory");
    return NULL;
  }
  t->sock = -1;
  t->wake_fd = -1;
  pthread_mutex_init(&t->wake_lock, NULL);
  char host[64], peer_host[64];
  double peer_port, file_fd, blksize, windowsize, base_ms, max_retries, max_retransmit_ms, first_ack_ms;
  if (!get_text(env, argv[0], "host", host, sizeof host) ||
      !get_text(env, argv[0], "peerAddress", peer_host, sizeof peer_host) ||
      !get_number(env, argv[0], "peerPort", &peer_port) || !get_number(env, argv[0], "fd", &file_fd) ||
      !get_number(env, argv[0], "blksize", &blksize) || !get_number(env, argv[0], "windowsize", &windowsize) ||
      !get_number(env, argv[0], "retransmitMs", &base_ms) || !get_number(env, argv[0], "maxRetries", &max_retries) ||
      !get_number(env, argv[0], "maxRetransmitMs", &max_retransmit_ms) ||
      !get_number(env, argv[0], "firstAckTimeoutMs", &first_ack_ms) ||
      !get_bytes(env, argv[0], "bytes", &t->bytes, &t->bytes_len) ||
      !get_bytes(env, argv[0], "oack", &t->oack, &t->oack_len))
    return throw_unstarted(env, t, "native TFTP: a malformed job", 0);
  if (blksize < 8 || blksize > 65464 || windowsize < 1 || windowsize > 65535 || base_ms < 1)
    return throw_unstarted(env, t, "native TFTP: blksize, windowsize or retransmitMs out of range", 0);
  t->file_fd = (int)file_fd;
  t->blksize = (uint32_t)blksize;
  t->windowsize = (uint32_t)windowsize;
  t->base_ms = (int64_t)base_ms;
  t->max_retries = (uint32_t)max_retries;
  t->max_retransmit_ms = (int64_t)max_retransmit_ms;
  t->first_ack_ms = (int64_t)first_ack_ms;

  struct sockaddr_storage local;
  socklen_t local_len;
  if (!parse_address(host, 0, &local, &local_len) ||
      !parse_address(peer_host, (int)peer_port, &t->peer, &t->peer_len))
    return throw_unstarted(env, t, "native TFTP: the host and peer must be IP addresses", 0);
  if (local.ss_family == AF_INET6 && t->peer.ss_family == AF_INET) map_to_v6(&t->peer, &t->peer_len);
  if (local.ss_family != t->peer.ss_family)
    return throw_unstarted(env, t, "native TFTP: an IPv6 peer for an IPv4 socket", 0);
  t->sock = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (t->sock < 0) return throw_unstarted(env, t, "native TFTP: socket()", errno);
  if (local.ss_family == AF_INET6) {
    /* Dual-stack, as Node's udp6 sockets (and so the listener) are. */
    int off = 0;
    setsockopt(t->sock, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  /* RFC 1350 §4: every transfer gets a fresh port, its transfer ID. */
  if (bind(t->sock, (struct sockaddr *)&local, local_len) != 0)
    return throw_unstarted(env, t, "native TFTP: binding the transfer's socket", errno);
  t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (t->wake_fd < 0) return throw_unstarted(env, t, "native TFTP: eventfd()", errno);

  napi_value name;
  CHECK(env, napi_create_string_utf8(env, "anvil-tftp-transfer", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, deliver, &t->done) !=
      napi_ok) {
    return throw_unstarted(env, t, "native TFTP: the done callback", 0);
  }
  napi_value handle;
  if (napi_create_external(env, t, handle_gone, NULL, &handle) != napi_ok) {
    napi_release_threadsafe_function(t->done, napi_tsfn_abort);
    return throw_unstarted(env, t, "native TFTP: the handle", 0);
  }
  /* One reference for the thread, one for the handle. */
  atomic_store(&t->refs, 2);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* The loop's own frame is a few KiB; the window is on the heap. */
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  int failed = pthread_create(&thread, &attr, transfer_thread, t);
  pthread_attr_destroy(&attr);
  if (failed != 0) {
    /* The handle keeps its reference (and frees the transfer when collected); the thread's goes with it. */
    napi_release_threadsafe_function(t->done, napi_tsfn_abort);
    close(t->sock);
    close(t->wake_fd);
    t->sock = -1;
    t->wake_fd = -1;
    atomic_fetch_sub(&t->refs, 1);
    char text[TEXT];
    snprintf(text, TEXT, "native TFTP: starting the transfer's thread: %s", strerror(failed));
    napi_throw_error(env, NULL, text);
    return NULL;
  }
  return handle;
}

/* stop(handle, reason, message): ends a running transfer early; the client gets an ERROR with `message`. */
static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  transfer_t *t;
  if (argc < 3 || napi_get_value_external(env, argv[0], (void **)&t) != napi_ok) {
    napi_throw_type_error(env, NULL, "stop(handle, reason, message)");
    return NULL;
  }
  if (atomic_load(&t->stop_requested)) return NULL;
  CHECK(env, napi_get_value_string_utf8(env, argv[1], t->stop_reason, REASON, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[2], t->stop_message, TEXT, NULL));
  atomic_store(&t->stop_requested, 1);
  uint64_t one = 1;
  pthread_mutex_lock(&t->wake_lock);
  if (t->wake_fd >= 0) (void)!write(t->wake_fd, &one, sizeof one);
  pthread_mutex_unlock(&t->wake_lock);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  CHECK(env, napi_create_function(env, "start", NAPI_AUTO_LENGTH, start, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "start", fn));
  CHECK(env, napi_create_function(env, "stop", NAPI_AUTO_LENGTH, stop, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "stop", fn));
  return exports;
}
