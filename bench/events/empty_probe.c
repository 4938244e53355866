// Loads and attaches bench/events' empty probe (empty_probe.bpf.o), prints
// "attached", and holds it until stdin closes: bench.js's fifth anchor.
//   empty_probe OBJ
#include <bpf/libbpf.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char c;

	if (argc != 2) {
		fprintf(stderr, "usage: empty_probe OBJ\n");
		return 2;
	}
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "empty_probe: cannot load %s\n", argv[1]);
		return 1;
	}
	if (!bpf_program__attach(bpf_object__next_program(obj, NULL))) {
		fprintf(stderr, "empty_probe: cannot attach to inet_sock_set_state\n");
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
