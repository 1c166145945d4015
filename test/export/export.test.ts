/**
 * `tinyml export`: the C array must hold exactly the model's bytes (checked by
 * compiling the generated source with gcc and dumping the array back), be
 * 16-byte aligned, compile warning-free as C11 and as C++ (Arduino), and the
 * op resolver must register exactly the model's ops.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel } from '../../src/export/c-source';
import { sharedModel } from '../helpers/paths';

function compileAndDump(
  dir: string,
  files: { name: string; content: string }[],
  cxx: boolean,
): Buffer {
  for (const f of files) writeFileSync(join(dir, f.name), f.content);
  const header = files.find((f) => f.name.endsWith('.h') && !f.name.includes('op_resolver'))!;
  const source = files.find((f) => /\.(c|cpp)$/.test(f.name))!;
  const sym = header.name.replace(/\.h$/, '');
  const main = `#include <stdio.h>\n#include <stdint.h>\n#include "${header.name}"\nint main(void) {\n  if (((uintptr_t)${sym}) % 16 != 0) return 3;\n  fwrite(${sym}, 1, ${sym}_len, stdout);\n  return 0;\n}\n`;
  const mainFile = join(dir, cxx ? 'main.cpp' : 'main.c');
  writeFileSync(mainFile, main);
  const compiler = cxx ? 'g++' : 'gcc';
  const std = cxx ? '-std=c++11' : '-std=c11';
  const exe = join(dir, cxx ? 'dump-cxx' : 'dump-c');
  execFileSync(
    compiler,
    [std, '-Wall', '-Wextra', '-Werror', '-pedantic', '-o', exe, mainFile, join(dir, source.name)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return execFileSync(exe);
}

describe('tinyml export (C sources for firmware)', () => {
  const model = readFileSync(sharedModel('hello_world_int8.tflite'));

  it('C11: the array compiles warning-free, is 16-byte aligned and holds the model bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-export-c-'));
    const files = exportModel(model, { format: 'c', symbol: 'g_hello' });
    assert.deepEqual(files.map((f) => f.name).sort(), [
      'g_hello.c',
      'g_hello.h',
      'g_hello_op_resolver.h',
    ]);
    assert.ok(compileAndDump(dir, files, false).equals(model));
  });

  it('Arduino (C++): the same bytes through alignas(16)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-export-cpp-'));
    const files = exportModel(model, { format: 'arduino', symbol: 'g_hello' });
    assert.ok(compileAndDump(dir, files, true).equals(model));
  });

  it('the op resolver registers exactly the model ops with the right N', () => {
    const files = exportModel(readFileSync(sharedModel('person_detect.tflite')), {
      symbol: 'g_person',
    });
    const resolver = files.find((f) => f.name === 'g_person_op_resolver.h')!.content;
    // person_detect uses AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D, RESHAPE, SOFTMAX.
    assert.match(resolver, /MicroMutableOpResolver<5>/);
    const calls = [...resolver.matchAll(/resolver\.(Add\w+)\(\)/g)].map((m) => m[1]).sort();
    assert.deepEqual(calls, [
      'AddAveragePool2D',
      'AddConv2D',
      'AddDepthwiseConv2D',
      'AddReshape',
      'AddSoftmax',
    ]);
    const header = files.find((f) => f.name === 'g_person.h')!.content;
    const arena = Number(/G_PERSON_ARENA_SIZE (\d+)/.exec(header)![1]);
    assert.equal(arena % 16, 0);
  });

  it('the header names the model, its version and sha256 as C string macros', () => {
    const files = exportModel(model, { symbol: 'g_hello' });
    const header = files.find((f) => f.name === 'g_hello.h')!.content;
    const sha = createHash('sha256').update(model).digest('hex');
    assert.match(header, new RegExp(`#define G_HELLO_SHA256 "${sha}"`));
    assert.match(header, /#define G_HELLO_VERSION "[^"]*"/);
    assert.match(header, /#define G_HELLO_NAME "[^"]*"/);
  });

  it('rejects a symbol that is not a C identifier', () => {
    assert.throws(() => exportModel(model, { symbol: '1bad-name' }), /not a C identifier/);
  });
});
