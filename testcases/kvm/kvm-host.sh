# SPDX-License-Identifier: MIT
# Sourced first by every KVM test: make sure the test runs where it gets a
# hardware-virtualization KVM.  Where this machine's /dev/kvm is VT-x or
# SVM the test goes on here; where it is missing or PVM, the test runs
# itself again inside scripts/kvm-vm's Linux VM (SVM under QEMU TCG) and
# that run's result is the test's.  Either way the log says which KVM.
#
# Needs: top_srcdir (the source tree, from make check) or the script's own
# location; KVM_VM_SMP, the VM's CPUs (default 1); sets nothing else.
if [ -z "${KVM_VM_WHICH:-}" ]; then
	kvm_vm=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/scripts/kvm-vm
	KVM_VM_WHICH=$("$kvm_vm" --which) || exit 99
	export KVM_VM_WHICH
	echo "KVM: $KVM_VM_WHICH"
	case $KVM_VM_WHICH in
	nested*) exec "$kvm_vm" --smp="${KVM_VM_SMP:-1}" -- "$0" "$@" ;;
	esac
fi
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "ERROR: $0: no usable /dev/kvm ($KVM_VM_WHICH)" >&2
	exit 99
fi
