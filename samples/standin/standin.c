/*
 * standin.c: the harmless stand-in for the miner of the incident in
 * shared/scenario, used by samples/reenact.sh. It mines nothing and talks
 * only to loopback. It plays the three roles the real one did:
 *
 *   watchdog  (default; started as /tmp/mysql by COPY ... TO PROGRAM):
 *             deletes its own binary, names itself "init", and starts the
 *             miner from /proc/self/exe, again within a second of any death;
 *   miner     (CORDON_STANDIN_ROLE=miner): names itself "mysql", keeps the
 *             pool URL and wallet in its heap, logs in to the pool with a
 *             stratum JSON-RPC line and burns about a fifth of a core;
 *   pool      ("standin pool PORT"): a loopback listener answering logins.
 *
 * Every role ends by itself after CORDON_STANDIN_LIFETIME seconds (600).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char POOL_HOST[] = "127.0.0.1";
static const int POOL_PORT = 3333;
static const char POOL_URL[] = "stratum+tcp://127.0.0.1:3333";
static const char WALLET[] = "4CordonSampleWa11et1111111111111111111111111111111111111111111111111111111111111111111111111111";
static const char AGENT[] = "XMRig/6.21.0 (Linux x86_64) cordon-standin";

static void lifetime(void) {
	const char *e = getenv("CORDON_STANDIN_LIFETIME");
	unsigned secs = e ? (unsigned)atoi(e) : 600;
	alarm(secs ? secs : 600); /* SIGALRM's default action ends the process */
}

static int watchdog(void) {
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *d = strstr(self, " (deleted)");
		if (d) *d = 0;
		unlink(self); /* fileless from here on, as in the incident */
	}
	prctl(PR_SET_NAME, "init", 0, 0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		pid_t p = fork();
		if (p == 0) {
			char *args[] = {"mysql", NULL};
			setenv("CORDON_STANDIN_ROLE", "miner", 1);
			execv("/proc/self/exe", args);
			_exit(127);
		}
		if (p < 0) {
			sleep(1);
			continue;
		}
		int st;
		while (waitpid(p, &st, 0) < 0 && errno == EINTR)
			;
		usleep(500000); /* respawn within a second of a death */
	}
}

static void spin(int ms) {
	struct timespec a, b;
	volatile unsigned long x = 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 10000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static int miner(void) {
	prctl(PR_SET_NAME, "mysql", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	char *marker = malloc(512), *login = malloc(1024);
	snprintf(marker, 512, "======== pool %s wallet %s ========", POOL_URL, WALLET);
	snprintf(login, 1024,
	         "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"%s\",\"pass\":\"x\","
	         "\"agent\":\"%s\",\"algo\":[\"rx/0\"]}}\n",
	         WALLET, AGENT);
	for (;;) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(POOL_PORT)};
		inet_pton(AF_INET, POOL_HOST, &a.sin_addr);
		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
			if (s >= 0) close(s);
			sleep(1);
			continue;
		}
		char buf[2048];
		if (write(s, login, strlen(login)) < 0 || read(s, buf, sizeof buf) <= 0) {
			close(s);
			sleep(1);
			continue;
		}
		for (int i = 1;; i++) {
			spin(20);
			usleep(80000);
			if (i % 50 == 0) {
				char ka[256];
				int k = snprintf(ka, sizeof ka,
				                 "{\"id\":%d,\"jsonrpc\":\"2.0\",\"method\":\"keepalived\",\"params\":{\"id\":\"standin\"}}\n",
				                 i / 50 + 1);
				if (write(s, ka, k) < 0 || read(s, buf, sizeof buf) <= 0) break;
			}
		}
		close(s);
	}
	free(marker); /* not reached: the marker stays in the heap for the memory dump */
	return 0;
}

static int pool(int port) {
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, POOL_HOST, &a.sin_addr);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 16) < 0) {
		perror("standin pool");
		return 1;
	}
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0) continue;
		if (fork() == 0) {
			char buf[4096];
			const char reply[] = "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"standin\","
			                     "\"job\":{\"blob\":\"00\",\"job_id\":\"1\",\"target\":\"ffffffff\",\"algo\":\"rx/0\"},"
			                     "\"status\":\"OK\"}}\n";
			while (read(c, buf, sizeof buf) > 0)
				if (write(c, reply, sizeof reply - 1) < 0) break;
			_exit(0);
		}
		close(c);
	}
}

int main(int argc, char **argv) {
	lifetime();
	if (argc > 2 && strcmp(argv[1], "pool") == 0) return pool(atoi(argv[2]));
	const char *role = getenv("CORDON_STANDIN_ROLE");
	if (role && strcmp(role, "miner") == 0) return miner();
	return watchdog();
}
