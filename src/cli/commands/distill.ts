import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { num, readJson, str, UsageError, type Command } from '../args';
import { epochLogger, TRAINING_OPTIONS, TRAINING_USAGE, trainingInputs } from './prune';
import { loadModelFile, saveModelDir } from '../../model/artifacts';
import { distillModel } from '../../optimize/distill';
import { formatReport } from '../../optimize/report';
import { PROFILES } from '../../device/profiles';

export const distill: Command = {
  name: 'distill',
  summary: 'knowledge distillation from a teacher into a smaller student',
  usage:
    'tinyml distill --teacher T/model.json (--student-spec S.json | --flash-bytes N [--arena-bytes N] | --profile esp32)\n' +
    '               --data DATA --out DIR [--temperature 4 --alpha 0.7] [options]\n' +
    "  the student learns from the teacher's softened outputs (temperature T, weight alpha)\n" +
    '  and the labels (weight 1 - alpha), after Hinton et al. 2015; the same student is also\n' +
    '  trained alone on the labels (same seed, data and epochs) for comparison (--no-baseline skips it)\n' +
    '  without --student-spec the student is the teacher made narrower to fit the budget\n' +
    TRAINING_USAGE +
    '\n  writes DIR/model.json + weights.bin, DIR/student-spec.json, DIR/model.tflite (when convertible), DIR/report.json',
  options: {
    ...TRAINING_OPTIONS,
    teacher: { type: 'string' },
    'student-spec': { type: 'string' },
    'flash-bytes': { type: 'string' },
    'arena-bytes': { type: 'string' },
    profile: { type: 'string' },
    temperature: { type: 'string' },
    alpha: { type: 'string' },
    'no-baseline': { type: 'boolean' },
  },
  async run(args, io) {
    const teacherPath = str(args, 'teacher', true)!;
    const out = str(args, 'out', true)!;
    const specPath = str(args, 'student-spec');
    const profileName = str(args, 'profile');
    const profile = profileName === undefined ? undefined : PROFILES[profileName];
    if (profileName !== undefined && !profile) {
      throw new UsageError(
        `--profile "${profileName}" is unknown; profiles: ${Object.keys(PROFILES).join(', ')}`,
      );
    }
    const flashBytes = num(args, 'flash-bytes') ?? profile?.flashBytes;
    const arenaBytes = num(args, 'arena-bytes') ?? profile?.arenaBytes;
    const hasBudget = flashBytes !== undefined || arenaBytes !== undefined;
    if (!specPath && !hasBudget) {
      throw new UsageError(
        'give --student-spec, or a budget (--flash-bytes / --arena-bytes / --profile)',
      );
    }
    if (specPath && hasBudget) {
      throw new UsageError('give either --student-spec or a budget, not both');
    }
    const teacher = await loadModelFile(teacherPath);
    const { data, options } = await trainingInputs(args);
    if (specPath) options.studentSpec = await readJson(specPath);
    else
      options.budget = {
        ...(flashBytes !== undefined ? { flashBytes } : {}),
        ...(arenaBytes !== undefined ? { arenaBytes } : {}),
      };
    const t = num(args, 'temperature');
    const a = num(args, 'alpha');
    if (t !== undefined) options.temperature = t;
    if (a !== undefined) options.alpha = a;
    if (args.values['no-baseline']) options.baseline = false;
    const result = await distillModel(teacher, data, options, {
      onEpoch: (run, e, n, loss) => epochLogger(args, io.err, `${run}: `)(e, n, loss),
    });
    const saved = await saveModelDir(result.model, out);
    await writeFile(join(out, 'student-spec.json'), JSON.stringify(result.spec, null, 2));
    if (result.tflite) await writeFile(join(out, 'model.tflite'), result.tflite);
    const report = {
      ...result.report,
      model: saved,
      ...(result.tflite ? { tflite: join(out, 'model.tflite') } : {}),
    };
    await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2));
    io.out(
      args.values.json
        ? JSON.stringify(report, null, 2)
        : `${formatReport(result.report)}\n\nwrote ${saved}`,
    );
    return 0;
  },
};
