/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit-hypervisor: runs one HVM guest on /dev/kvm.  This file wires the
 * pieces together; see docs/architecture.md for the whole picture.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fcntl.h>

#include "debug-ports.h"
#include "dm-link.h"
#include "domctl.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "options.h"
#include "pci-cf8.h"
#include "vcpu.h"
#include "vm.h"

#ifndef HVMKIT_VERSION
#define HVMKIT_VERSION "unknown"
#endif

/*
 * Termination signals are taken through a signalfd by the main thread and
 * the kick signal only by vCPU threads, so all of them are blocked here
 * before any thread exists; threads inherit the mask.
 */
static int setup_signals(void)
{
	sigset_t set;
	int fd;

	vcpu_install_kick_handler();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		log_error("signalfd: %s", strerror(errno));
	return fd;
}

static void print_stats(const struct vm *vm)
{
	const struct iobus *buses[] = { &vm->pio, &vm->mmio };

	for (unsigned int i = 0; i < ARRAY_SIZE(buses); i++)
		fprintf(stderr, "stats: %s accesses %llu unclaimed-reads %llu "
			"unclaimed-writes %llu\n", buses[i]->name,
			(unsigned long long)buses[i]->stats.accesses,
			(unsigned long long)buses[i]->stats.unclaimed_reads,
			(unsigned long long)buses[i]->stats.unclaimed_writes);
	for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++)
		fprintf(stderr, "stats: vcpu%u exits %llu\n", i,
			(unsigned long long)vm->vcpu_exits[i]);
	fprintf(stderr, "stats: resets %u\n", atomic_load(&vm->resets));
}

/* Descriptors 0-2 must be open: otherwise a socket or memfd made later
 * could land there and receive log lines, or become the device model's
 * stdio. */
static void ensure_stdio_open(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			_exit(EXIT_HOST_ERROR);
}

int main(int argc, char **argv)
{
	static struct vm vm;
	static struct hv_options opts; /* static: its machine spec lives to exit */
	int signal_fd, status;

	ensure_stdio_open();
	log_init("hvmkit-hypervisor", LOG_WARN);
	if (hv_options_parse(argc, argv, &opts) < 0)
		return EXIT_USAGE;
	if (opts.help) {
		hv_options_usage(stdout, argv[0]);
		return 0;
	}
	if (opts.version) {
		printf("hvmkit-hypervisor %s\n", HVMKIT_VERSION);
		return 0;
	}
	log_set_level(opts.verbosity < 0 ? LOG_ERROR :
		      opts.verbosity == 0 ? LOG_WARN :
		      opts.verbosity == 1 ? LOG_INFO : LOG_DEBUG);

	opts.dm.verbosity = opts.verbosity;
	if (opts.domctl.ready_fd >= 0 &&
	    fcntl(opts.domctl.ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_error("--ready-fd %d: not an open descriptor",
			  opts.domctl.ready_fd);
		return EXIT_USAGE;
	}
	vm_init(&vm, &opts.vm);
	signal_fd = setup_signals();
	if (signal_fd < 0)
		return EXIT_HOST_ERROR;
	if (vm_open_kvm(&vm) < 0) {
		vm_destroy(&vm);
		return EXIT_HOST_ERROR;
	}
	if (hv_options_check_host(&opts, vm.max_vcpus, host_ram_bytes()) < 0) {
		vm_destroy(&vm);
		return EXIT_USAGE;
	}
	if (vm_create(&vm) < 0 || debug_ports_register(&vm) < 0 ||
	    pci_cf8_register(&vm) < 0 || domctl_open(&vm, &opts.domctl) < 0 ||
	    dm_link_start(&vm, &opts.dm) < 0) {
		vm_destroy(&vm);
		return EXIT_HOST_ERROR;
	}
	/* Opened last, so that a run failing earlier does not truncate it. */
	vm.cfg.debugcon = stdout;
	if (opts.debugcon_path && strcmp(opts.debugcon_path, "-")) {
		vm.cfg.debugcon = fopen(opts.debugcon_path, "we");
		if (!vm.cfg.debugcon) {
			log_error("--debugcon %s: %s", opts.debugcon_path,
				  strerror(errno));
			vm_destroy(&vm);
			return EXIT_HOST_ERROR;
		}
	}
	setvbuf(vm.cfg.debugcon, NULL, _IOLBF, 0);
	log_info("guest: %u vCPU(s), %llu MiB RAM, firmware %s",
		 vm.cfg.nr_vcpus, (unsigned long long)(vm.cfg.ram_size >> 20),
		 vm.cfg.firmware);
	status = vm_run(&vm, signal_fd);
	fflush(vm.cfg.debugcon);
	if (opts.stats)
		print_stats(&vm);
	vm_destroy(&vm);
	if (vm.cfg.debugcon != stdout)
		fclose(vm.cfg.debugcon);
	close(signal_fd);
	return status;
}
