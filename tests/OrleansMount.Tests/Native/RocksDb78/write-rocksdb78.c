/* Wrote the files next to it with Debian 12's librocksdb 7.8.3, as the old hand-written binding did (default
 * options; SSTs LZ4-compressed, table format 5). Kept to regenerate them: gcc -o w write-rocksdb78.c -lrocksdb &&
 * ./w db range-7.8.sst && rm db/LOG db/LOCK (needs librocksdb-dev 7.8; see RocksDbCompatibilityTests). */
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define CHECK(e) if (e) { fprintf(stderr, "%s\n", e); return 1; }
int main(int argc, char** argv) {
  char* err = NULL;
  rocksdb_options_t* o = rocksdb_options_create();
  rocksdb_options_set_create_if_missing(o, 1);
  rocksdb_t* db = rocksdb_open(o, argv[1], &err); CHECK(err);
  rocksdb_writeoptions_t* wo = rocksdb_writeoptions_create();
  char k[32], v[32];
  for (int i = 0; i < 100; i++) {
    snprintf(k, sizeof k, "db-key-%03d", i); snprintf(v, sizeof v, "db-value-%03d", i);
    rocksdb_put(db, wo, k, strlen(k), v, strlen(v), &err); CHECK(err);
  }
  rocksdb_flushoptions_t* fo = rocksdb_flushoptions_create();
  rocksdb_flushoptions_set_wait(fo, 1);
  rocksdb_flush(db, fo, &err); CHECK(err);
  /* one more key left only in the write-ahead log, as a node killed before a flush leaves it */
  rocksdb_put(db, wo, "wal-only", 8, "in-the-log", 10, &err); CHECK(err);
  rocksdb_close(db);
  /* the SST writer as the old binding used it: default options + LZ4 (7.8 writes table format 5) */
  rocksdb_envoptions_t* eo = rocksdb_envoptions_create();
  rocksdb_options_t* so = rocksdb_options_create();
  rocksdb_options_set_compression(so, 4);
  rocksdb_sstfilewriter_t* w = rocksdb_sstfilewriter_create(eo, so);
  rocksdb_sstfilewriter_open(w, argv[2], &err); CHECK(err);
  for (int i = 0; i < 100; i++) {
    snprintf(k, sizeof k, "sst-key-%03d", i); snprintf(v, sizeof v, "sst-value-%03d", i);
    rocksdb_sstfilewriter_put(w, k, strlen(k), v, strlen(v), &err); CHECK(err);
  }
  rocksdb_sstfilewriter_finish(w, &err); CHECK(err);
  rocksdb_sstfilewriter_destroy(w);
  return 0;
}
