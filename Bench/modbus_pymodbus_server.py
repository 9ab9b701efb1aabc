#!/usr/bin/env python3
"""A pymodbus server for FieldAgent's Modbus tests and benchmarks (a simulated sensor or a reference server).

  modbus_pymodbus_server.py --tcp PORT [--units 1,2]
  modbus_pymodbus_server.py --tcp PORT --tls CA CERT KEY     (Modbus/TCP Security: mutual TLS, client certificate required)
  modbus_pymodbus_server.py --rtu /dev/pts/N [--baud 19200] [--parity E] [--units 1,2]
  ... --identity VENDOR,PRODUCT_CODE,REVISION,MODEL_NAME   (answers FC 43 / MEI 14 Read Device Identification)

Every unit serves: holding register k = unit*1000 + k (k < 200), input registers 0-1 = 21.5 as a big-endian
float32, coil k = (k % 3 == 0), discrete input k = (k % 2 == 0). Writes are kept. Prints 'ready' once listening.
"""
import argparse
import asyncio
import ssl
import struct
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer, StartAsyncTlsServer


def device(unit):
    # pymodbus numbers its blocks from 1 (protocol address 0 is block address 1).
    size = 2000
    hi, lo = struct.unpack(">HH", struct.pack(">f", 21.5))
    holding = [unit * 1000 + k if k < 200 else 0 for k in range(size)]
    inputs = [hi, lo] + [0] * size
    coils = [k % 3 == 0 for k in range(size)]
    discrete = [k % 2 == 0 for k in range(size)]
    return ModbusDeviceContext(
        di=ModbusSequentialDataBlock(1, discrete),
        co=ModbusSequentialDataBlock(1, coils),
        hr=ModbusSequentialDataBlock(1, holding),
        ir=ModbusSequentialDataBlock(1, inputs),
    )


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tcp", type=int)
    p.add_argument("--rtu")
    p.add_argument("--baud", type=int, default=19200)
    p.add_argument("--parity", default="E")
    p.add_argument("--units", default="1")
    p.add_argument("--tls", nargs=3, metavar=("CA", "CERT", "KEY"))
    p.add_argument("--identity")
    a = p.parse_args()
    identity = None
    if a.identity:
        vendor, code, revision, model = a.identity.split(",")
        identity = ModbusDeviceIdentification(info_name={"VendorName": vendor, "ProductCode": code,
                                                         "MajorMinorRevision": revision, "ModelName": model})
    units = [int(u) for u in a.units.split(",")]
    context = ModbusServerContext(devices={u: device(u) for u in units}, single=False)
    print("ready", flush=True)
    if a.tcp and a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.tls[1], a.tls[2])
        ctx.load_verify_locations(a.tls[0])
        ctx.verify_mode = ssl.CERT_REQUIRED
        await StartAsyncTlsServer(context=context, identity=identity, address=("127.0.0.1", a.tcp), sslctx=ctx)
    elif a.tcp:
        await StartAsyncTcpServer(context=context, identity=identity, address=("127.0.0.1", a.tcp))
    else:
        await StartAsyncSerialServer(context=context, identity=identity, port=a.rtu, baudrate=a.baud, parity=a.parity,
                                     bytesize=8, stopbits=1, framer="rtu")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
