/*
 * The C (wasi-libc) program of the browser demo. It runs in the vkernel
 * worker with the OPFS mount preopened at /data, reads the file the Go
 * program wrote, and leaves a file, a hard link and a symbolic link of its
 * own in /data/c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) {
  fprintf(stderr, "demo-c: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(void) {
  if (mkdir("/data/c", 0755) != 0 && errno != EEXIST) return fail("mkdir /data/c");

  FILE *out = fopen("/data/c/hello.txt", "w");
  if (!out) return fail("fopen /data/c/hello.txt");
  fputs("hello from C (wasi-libc)\n", out);
  if (fclose(out) != 0) return fail("fclose");

  unlink("/data/c/hello.link");
  if (link("/data/c/hello.txt", "/data/c/hello.link") != 0) return fail("link");
  unlink("/data/c/latest");
  if (symlink("hello.txt", "/data/c/latest") != 0) return fail("symlink");

  char line[256];
  FILE *in = fopen("/data/go/hello.txt", "r");
  if (in) {
    if (fgets(line, sizeof line, in)) printf("C read Go's file: %s", line);
    fclose(in);
  } else {
    printf("C found no file from Go (%s)\n", strerror(errno));
  }

  struct stat st;
  if (stat("/data/c/hello.txt", &st) != 0) return fail("stat");
  printf("/data/c/hello.txt: %lld bytes, %u links, inode %llu\n", (long long)st.st_size,
         (unsigned)st.st_nlink, (unsigned long long)st.st_ino);

  DIR *dir = opendir("/data");
  if (!dir) return fail("opendir /data");
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] != '.') printf("/data/%s\n", entry->d_name);
  }
  closedir(dir);
  return 0;
}
