#!/bin/sh
# cmos_get INDEX / cmos_set INDEX VALUE: CMOS RAM through /dev/port
# (index port 0x70, data port 0x71), for the Linux test guest's /init.
idx=$(($1))
case ${0##*/} in
cmos_get)
	printf "\\$(printf %o $idx)" | dd of=/dev/port bs=1 seek=112 count=1 2>/dev/null
	dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' '
	;;
cmos_set)
	printf "\\$(printf %o $idx)" | dd of=/dev/port bs=1 seek=112 count=1 2>/dev/null
	printf "\\$(printf %o $(($2)))" | dd of=/dev/port bs=1 seek=113 count=1 2>/dev/null
	;;
esac
